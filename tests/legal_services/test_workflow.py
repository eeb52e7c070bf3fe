"""The legal-aid table, eligibility from the admin's rules, and the review clock in the sweep."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from grids.models import Notification
from legal_services.eligibility import assess
from legal_services.models import AidEvent, EligibilityRule, RuleKind, SpecialGroup
from legal_services.services import aid_apply, aid_review
from legal_services.sweep import sweep_aid_reviews
from legal_services.workflow import TABLE, ActionConflict, ActionNotAllowed, authorize

from ..clock import at, clock

pytestmark = pytest.mark.django_db


def test_the_table_is_the_documented_workflow():
    assert [(t.action, sorted(t.sources), t.target) for t in TABLE] == [
        ("review", ["applied"], "reviewing"),
        ("approve", ["reviewing"], "approved"),
        ("refuse", ["reviewing"], "refused"),
        ("assign", ["approved"], "assigned"),
        ("close", ["assigned"], "closed"),
    ]


def test_authorize_403_for_roles_409_for_states(world, legal_world):
    aid = aid_apply(by=world.legal, matter="wages", reason="欠薪", name="刘")
    with pytest.raises(ActionNotAllowed):
        authorize(world.official, aid, "review")
    with pytest.raises(ActionConflict):
        authorize(world.legal, aid, "close")
    authorize(world.admin, aid, "review")


def test_eligibility_reasons_follow_the_rules_admins_edit(world, legal_world):
    aid = aid_apply(by=world.legal, matter="contract", reason="合同", name="甲", monthly_income=Decimal("2000"))
    verdict = assess(aid)
    assert not verdict.eligible
    assert [r["code"] for r in verdict.reasons] == ["matter_out_of_scope", "income_over"]
    # The admin widens the scope and raises the threshold for town 1: the nearest threshold wins.
    EligibilityRule.objects.create(kind=RuleKind.MATTER, name="合同", matter="contract")
    EligibilityRule.objects.create(
        kind=RuleKind.INCOME, name="一街标准", area=world.town1, income_threshold=Decimal("2500")
    )
    assert assess(aid).eligible
    # A special group qualifies whatever the income.
    elderly = aid_apply(
        by=world.legal,
        matter="debt",
        reason="借款",
        name="老人",
        monthly_income=Decimal("9000"),
        special_group=SpecialGroup.ELDERLY,
    )
    verdict = assess(elderly)
    assert verdict.eligible and verdict.reasons[0]["code"] == "special_group"
    # A rule switched off no longer counts.
    EligibilityRule.objects.filter(special_group=SpecialGroup.ELDERLY).update(active=False)
    assert not assess(elderly).eligible


def test_rule_constraint_keeps_fields_matching_the_kind(world):
    from django.core.exceptions import ValidationError

    rule = EligibilityRule(kind=RuleKind.INCOME, name="缺金额")
    with pytest.raises(ValidationError):
        rule.full_clean()


def test_review_clock_warns_then_goes_red_exactly_once(world, legal_world):
    with clock("2026-11-16 09:00"):  # Monday
        aid = aid_apply(by=world.legal, matter="wages", reason="欠薪", name="刘")
    assert aid.review_deadline == at("2026-11-25 09:00")
    # Nothing yet on Friday.
    assert (sweep_aid_reviews(now=at("2026-11-20 09:00")).yellow, AidEvent.objects.count()) == (0, 1)
    # 80 % of 49 working hours ≈ 39.2 h: Tuesday the 24th in the afternoon.
    result = sweep_aid_reviews(now=at("2026-11-24 17:00"))
    assert (result.yellow, result.red) == (1, 0)
    assert sweep_aid_reviews(now=at("2026-11-24 17:01")).yellow == 0
    # While the review is running the red still comes at the limit, once.
    with clock("2026-11-24 17:10"):
        aid_review(application=aid, by=world.legal)
    assert sweep_aid_reviews(now=at("2026-11-25 09:05")).red == 1
    assert sweep_aid_reviews(now=at("2026-11-25 09:06")).red == 0
    kinds = list(AidEvent.objects.filter(application=aid).values_list("kind", flat=True))
    assert kinds == ["apply", "review_warning", "review", "review_overdue"]
    aid.refresh_from_db()
    assert aid.review_alert == "red"
    # legal hears about it, in a message rendered at read time.
    titles = [n.display_title for n in Notification.objects.filter(recipient=world.legal)]
    assert any(aid.number in t and "超期" in t for t in titles)


def test_the_sweep_command_and_a_decided_review_stops_the_clock(world, legal_world, capsys):
    with clock("2026-11-16 09:00"):
        aid = aid_apply(by=world.legal, matter="wages", reason="欠薪", name="刘")
        from legal_services.services import aid_approve

        aid = aid_review(application=aid, by=world.legal)
        aid_approve(application=aid, by=world.legal)
    with time_machine.travel(at("2026-12-30 09:00") + timedelta(minutes=1), tick=False):
        call_command("sweep_legal")
    assert "0 yellow, 0 red" in capsys.readouterr().out


def test_the_beat_task_runs_the_legal_sweep(world, legal_world):
    from governance.tasks import sweep_legal_deadlines

    with clock("2026-11-16 09:00"):
        aid_apply(by=world.legal, matter="wages", reason="欠薪", name="刘")
    with clock("2026-12-01 09:00"):
        assert sweep_legal_deadlines() == "legal aid reviews: 0 yellow, 1 red"
        assert sweep_legal_deadlines() == "legal aid reviews: 0 yellow, 0 red"
