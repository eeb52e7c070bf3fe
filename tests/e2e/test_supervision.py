"""督办 in a real browser: the official supervises a dispatched case, the police see it in 被督办 and
reply, the official reads the reply; a supervision left unanswered lapses into the department league."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, WIDE
from .test_journeys import act, dispatched_case, expect_actions, fill_textarea

pytestmark = pytest.mark.e2e


def test_official_supervises_and_the_police_reply(demo, open_page):
    case = dispatched_case(demo, title="广场噪音扰民反复投诉")
    url = f"/cases/{case.pk}/"

    official = open_page("official", viewport=DESKTOP)
    official.goto(url)
    expect_actions(official, present=["supervise"], absent=["reply", "accept", "dispatch"])

    def supervise_form(box):
        box.locator("textarea[name=note]").fill("群众反复投诉,请今日内反馈处置情况")
        box.locator("input[name=reply_within_hours]").fill("4")

    act(official, "supervise", supervise_form)
    expect(official.get_by_test_id("supervisions")).to_contain_text(demo.police.name)
    expect(official.locator("[data-supervision=open]")).to_have_count(1)
    expect_actions(official, absent=["supervise"])

    police = open_page("dept_police", viewport=DESKTOP)
    police.goto("/cases/?tab=supervised")
    expect(police.locator('[data-tab-count="supervised"]')).to_have_text("1")
    police.locator(f'tr[data-case="{case.number}"] a').first.click()
    expect(police.get_by_test_id("case-number")).to_have_text(case.number)
    expect_actions(police, present=["reply", "sign"])
    act(police, "reply", fill_textarea("note", "已派民警到场劝导,明日回访"))
    expect(police.locator("[data-supervision=replied]")).to_have_count(1)
    expect_actions(police, absent=["reply"])
    police.goto("/cases/?tab=supervised")
    expect(police.locator(f'tr[data-case="{case.number}"]')).to_have_count(0)

    official.goto(url)
    expect(official.get_by_test_id("supervisions")).to_contain_text("已派民警到场劝导")


def test_an_unanswered_supervision_shows_in_the_department_league(demo, open_page):
    from disputes import services
    from disputes.models import Supervision
    from disputes.sweep import sweep_deadlines

    case = dispatched_case(demo, title="占道经营无人处理")
    services.case_supervise(case=case, by=demo.users["official"], note="请回复处置计划", reply_within_hours=2)
    supervision = Supervision.objects.get(case=case)
    sweep_deadlines(now=supervision.clock.deadline + timedelta(minutes=1))

    page = open_page("official", viewport=WIDE)
    page.goto("/dashboard/")
    row = page.get_by_test_id("departments").locator("tr", has_text=demo.police.name)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(4)).to_have_text("1")  # 督办待回复
