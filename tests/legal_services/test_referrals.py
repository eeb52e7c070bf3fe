"""Referrals both ways between legal services and cases or disputes (issue 14): a consultation
goes to mediation as a dispute; a case or a dispute goes to legal aid. Each shows on both sides,
bad input stores nothing, and nobody outside the area reaches the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from disputes.mediation.models import Dispute, Party
from legal_services.models import AidApplication, Consultation, Referral
from legal_services.services import consultation_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(world, legal_world):
    return consultation_record(
        by=world.legal,
        topic="neighbour",
        question="邻居装修占用公共通道,协商不成",
        channel="in_person",
        resident=legal_world.r1,
    )


def _case(world, categories, **extra):
    from disputes import services

    return services.case_create(
        by=world.grid_a,
        category=categories.road,
        description="工地拖欠三名工人工资",
        area=world.t.grids[0],
        **extra,
    )


def test_a_consultation_referred_to_mediation_becomes_a_dispute_shown_on_both_sides(
    world, legal_world, consultation, api, browser_client
):
    r = api(world.legal).post(
        f"/api/v1/legal/consultations/{consultation.pk}/refer/",
        {"to": "dispute", "kind": "neighbour", "respondent": "隔壁张某", "note": "转村调委会"},
        format="json",
    )
    assert r.status_code == 201, r.content
    dispute = Dispute.objects.get(pk=r.json()["id"])
    assert r.json()["kind"] == "dispute"
    assert dispute.summary == consultation.question
    assert dispute.source == "walk_in" and dispute.area_id == consultation.area_id
    parties = {p.role: p for p in Party.objects.filter(dispute=dispute)}
    assert parties["applicant"].resident_id == legal_world.r1.pk and parties["respondent"].name == "隔壁张某"
    assert Consultation.objects.get(pk=consultation.pk).status == "referred"

    detail = api(world.legal).get(f"/api/v1/legal/consultations/{consultation.pk}/").json()
    assert [(x["target"]["kind"], x["target"]["id"]) for x in detail["referrals"]] == [("dispute", dispute.pk)]
    page = browser_client(world.center_town).get(f"/disputes/{dispute.pk}/").content.decode()
    assert 'data-referral="consultation"' in page


def test_the_consultation_page_refers_to_mediation_and_a_bad_kind_stores_nothing(
    world, legal_world, consultation, browser_client
):
    c = browser_client(world.legal)
    url = reverse("legal:consultation_refer", args=[consultation.pk, "dispute"])
    page = c.get(reverse("legal:consultation_detail", args=[consultation.pk])).content.decode()
    assert 'data-action="refer-dispute"' in page
    r = c.post(url, {"kind": "no-such-kind"})
    assert r.status_code == 400 and "field-error" in r.content.decode()
    assert not Dispute.objects.exists() and not Referral.objects.exists()
    assert c.post(url, {"kind": "neighbour", "summary": "x" * 2001}).status_code == 400
    assert not Dispute.objects.exists()
    r = c.post(url, {"kind": "neighbour"})
    assert r.status_code == 302
    assert Dispute.objects.count() == 1 and Referral.objects.get().target_kind == "dispute"


def test_legal_refers_a_case_to_legal_aid_from_the_case_page(world, legal_world, categories, browser_client):
    case = _case(world, categories, involved_residents=[legal_world.r1])
    c = browser_client(world.legal)
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="refer-aid"' in page
    form = c.get(reverse("refer_to_aid", args=["case", case.pk]))
    assert form.status_code == 200 and "工地拖欠三名工人工资" in form.content.decode()

    r = c.post(
        reverse("refer_to_aid", args=["case", case.pk]),
        {"matter": "wages", "reason": "工地拖欠三名工人工资", "monthly_income": "900", "note": "欠薪"},
    )
    assert r.status_code == 302
    aid = AidApplication.objects.get()
    assert r["Location"] == reverse("legal:aid_detail", args=[aid.pk])
    assert aid.resident_id == legal_world.r1.pk and aid.matter == "wages"
    ref = Referral.objects.get()
    assert (ref.source_kind, ref.source_id, ref.target_kind, ref.target_id) == ("case", case.pk, "aid", aid.pk)
    # both sides show it: the case page (to the center too) and the application page
    assert 'data-referral="aid"' in browser_client(world.center_town).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-referral="case"' in c.get(reverse("legal:aid_detail", args=[aid.pk])).content.decode()


def test_a_case_without_an_applicant_needs_a_name_and_stores_nothing(world, legal_world, categories, browser_client):
    case = _case(world, categories)
    c = browser_client(world.legal)
    url = reverse("refer_to_aid", args=["case", case.pk])
    r = c.post(url, {"matter": "wages", "reason": "欠薪"})
    assert r.status_code == 400 and "请选择居民或填写申请人姓名" in r.content.decode()
    r = c.post(url, {"matter": "wages", "reason": "欠薪", "name": "刘工", "id_number": "123"})
    assert r.status_code == 400
    assert not AidApplication.objects.exists() and not Referral.objects.exists()
    assert c.post(url, {"matter": "wages", "reason": "欠薪", "name": "刘工"}).status_code == 302
    assert AidApplication.objects.get().name == "刘工"


def test_a_dispute_is_referred_to_legal_aid_with_its_applicant(world, legal_world, consultation, api, browser_client):
    dispute_id = (
        api(world.legal)
        .post(
            f"/api/v1/legal/consultations/{consultation.pk}/refer/",
            {"to": "dispute", "kind": "neighbour"},
            format="json",
        )
        .json()["id"]
    )
    c = browser_client(world.legal)
    assert 'data-testid="refer-aid"' in c.get(f"/disputes/{dispute_id}/").content.decode()
    r = c.post(reverse("refer_to_aid", args=["dispute", dispute_id]), {"matter": "neighbour", "reason": "调解不成"})
    assert r.status_code == 302
    aid = AidApplication.objects.get()
    assert aid.resident_id == legal_world.r1.pk
    page = browser_client(world.center_town).get(f"/disputes/{dispute_id}/").content.decode()
    assert 'data-referral="aid"' in page and 'data-referral="consultation"' in page


@pytest.mark.parametrize("persona", ["outsider", "grid_b", "center_town2", "dept_police2", "center_town", "grid_a"])
def test_only_legal_staff_over_the_area_reach_the_referral_page(
    world, legal_world, categories, browser_client, persona
):
    case = _case(world, categories, involved_residents=[legal_world.r1])
    c = browser_client(getattr(world, persona))
    url = reverse("refer_to_aid", args=["case", case.pk])
    assert c.get(url).status_code == 404
    assert c.post(url, {"matter": "wages", "reason": "x", "name": "刘工"}).status_code == 404
    assert not AidApplication.objects.exists()
    if persona in ("center_town", "grid_a"):  # they see the case, not the link
        assert 'data-testid="refer-aid"' not in c.get(f"/cases/{case.pk}/").content.decode()


def test_unknown_kinds_and_ids_are_404(world, legal_world, browser_client):
    c = browser_client(world.legal)
    assert c.get("/refer/aid/1/aid/").status_code == 404
    assert c.get("/refer/case/999999/aid/").status_code == 404
    assert c.get("/refer/dispute/999999/aid/").status_code == 404
