"""Mediation pages: the workbench and list, the new-dispute form (and the hand-over from a case),
the dispute page with its actions and timeline, the printable agreement, bodies and screening."""

from __future__ import annotations

import re

import pytest

from disputes.mediation.models import Dispute

pytestmark = pytest.mark.django_db


def test_workbench_tabs_and_filters(world, med, new_dispute, mediating, browser_client, django_assert_max_num_queries):
    for _ in range(3):
        mediating()
    waiting = new_dispute(kind="marriage_family", summary="夫妻争吵")
    client = browser_client(world.mediator)
    with django_assert_max_num_queries(20):
        page = client.get("/disputes/").content.decode()
    assert 'data-tab="to_accept"' in page and 'data-tab="mediating"' in page
    assert waiting.number not in page  # not its body's
    mediating_page = client.get("/disputes/?tab=mediating").content.decode()
    assert len(re.findall(r"<tr data-dispute=", mediating_page)) == 3
    center = browser_client(world.center_town)
    page = center.get("/disputes/?tab=to_assign").content.decode()
    assert waiting.number in page and page.count("<tr data-dispute=") == 1
    page = center.get("/disputes/?tab=all&kind=marriage_family").content.decode()
    assert page.count("<tr data-dispute=") == 1
    page = center.get("/disputes/?tab=all&risk=high").content.decode()
    assert page.count("<tr data-dispute=") == 3
    home = client.get("/").content.decode()
    assert 'data-testid="mediator-home"' in home and 'data-mediation-tab="mediating"' in home
    assert 'data-testid="nav-disputes"' in home


def test_new_dispute_form_and_actions_on_the_page(world, med, browser_client):
    client = browser_client(world.grid_a)
    assert client.get("/disputes/new/").status_code == 200
    bad = client.post("/disputes/new/", {"kind": "neighbour", "source": "grid_worker", "summary": ""})
    assert bad.status_code == 200 and "field-error" in bad.content.decode()
    response = client.post(
        "/disputes/new/",
        {
            "kind": "neighbour",
            "source": "grid_worker",
            "summary": "楼上漏水",
            "area": world.t.micro_grids[0].pk,
            "applicant_resident": med.li.pk,
            "respondent_resident": med.zhang.pk,
        },
    )
    assert response.status_code == 302
    d = Dispute.objects.get()
    assert d.building == med.building and d.parties.count() == 2

    center = browser_client(world.center_town)
    page = center.get(f"/disputes/{d.pk}/").content.decode()
    assert 'data-action="assign"' in page
    assert (
        center.post(f"/disputes/{d.pk}/actions/assign/", {"assign-organisation": med.committee1.pk}).status_code == 302
    )
    mediator = browser_client(world.mediator)
    mediator.post(f"/disputes/{d.pk}/actions/accept/", {})
    failed = mediator.post(f"/disputes/{d.pk}/actions/session/", {"session-place": "调解室"})
    assert failed.status_code == 400 and "field-error" in failed.content.decode()
    ok = mediator.post(
        f"/disputes/{d.pk}/actions/session/",
        {
            "session-held_at": "2026-11-20T09:30",
            "session-place": "调解室",
            "session-attendees": "双方",
            "session-notes": "首次调解",
        },
    )
    assert ok.status_code == 302
    mediator.post(f"/disputes/{d.pk}/actions/agree/", {"agree-terms": "赔偿两千元", "agree-signed_at": "2026-11-20"})
    mediator.post(f"/disputes/{d.pk}/actions/confirm/", {"confirm-court_confirmed": "true"})
    page = mediator.get(f"/disputes/{d.pk}/").content.decode()
    events = re.findall(r'<li data-event="(\w+)">', page)
    assert events == ["create", "assign", "accept", "session", "agree", "confirm"]
    assert 'data-testid="agreement-docx"' in page
    # A repeated action is refused with a message (409 in the API), not an error page.
    again = mediator.post(
        f"/disputes/{d.pk}/actions/agree/", {"agree-terms": "x", "agree-signed_at": "2026-11-20"}, follow=True
    )
    assert again.status_code == 200
    agreement = mediator.get(f"/disputes/{d.pk}/agreement/").content.decode()
    assert "人民调解协议书" in agreement and "赔偿两千元" in agreement and "print.css" in agreement
    assert "style=" not in agreement and "<script>" not in agreement
    assert mediator.get(f"/disputes/{d.pk}/file/").status_code == 200
    assert mediator.get(f"/disputes/{d.pk}/file.docx").status_code == 200


def test_detail_query_count(world, med, mediating, browser_client, django_assert_max_num_queries):
    from disputes.mediation import services

    d = mediating()
    for n in range(3):
        services.dispute_session(
            dispute=d, by=world.mediator, held_at=d.created_at, place="调解室", attendees="双方", notes=f"第{n}次"
        )
    client = browser_client(world.mediator)
    client.get(f"/disputes/{d.pk}/")
    with django_assert_max_num_queries(30):
        assert client.get(f"/disputes/{d.pk}/").status_code == 200


def test_case_of_kind_dispute_is_handed_to_mediation(world, med, report, browser_client):
    from disputes.models import Category

    neighbour = Category.objects.create(code="neighbour_dispute", name="邻里纠纷", kind="dispute")
    case = report(category=neighbour, description="楼上漏水引发邻里纠纷", kind="dispute")
    assert case.kind == "dispute"
    center = browser_client(world.center_town)
    page = center.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="hand-to-mediation"' in page
    form = center.get(f"/disputes/new/?case={case.pk}").content.decode()
    assert case.number in form and "楼上漏水引发邻里纠纷" in form
    response = center.post(
        "/disputes/new/",
        {
            "kind": "neighbour",
            "source": "grid_worker",
            "summary": "楼上漏水引发邻里纠纷",
            "area": case.area_id,
            "case": case.pk,
            "applicant_name": "李四",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    d = Dispute.objects.get(case=case)
    page = center.get(f"/cases/{case.pk}/").content.decode()
    assert f'href="/disputes/{d.pk}/"' in page and 'data-testid="hand-to-mediation"' not in page
    assert f'href="/cases/{case.pk}/"' in center.get(f"/disputes/{d.pk}/").content.decode()


def test_bodies_pages(world, med, browser_client):
    client = browser_client(world.center_town)
    page = client.get("/mediation-orgs/").content.decode()
    assert "一街人民调解委员会" in page and "劳动争议调解委员会" in page and "二街人民调解委员会" not in page
    detail = client.get(f"/mediation-orgs/{med.committee1.pk}/").content.decode()
    assert "mediator" in detail and "二级调解员" in detail


def test_the_documents_downloads_are_audited_as_personal_data_exports(world, mediating, browser_client):
    """The agreement and the case file carry the parties' names, phones and ID numbers."""
    from grids.models import AuditEvent, AuditKind

    d = mediating()
    mediator = browser_client(world.mediator)
    mediator.post(f"/disputes/{d.pk}/actions/agree/", {"agree-terms": "赔偿两千元", "agree-signed_at": "2026-11-20"})
    exports = AuditEvent.objects.filter(kind=AuditKind.PERSONAL_DATA_EXPORT)
    assert not exports.exists()
    assert mediator.get(f"/disputes/{d.pk}/agreement/").status_code == 200  # the page is not an export
    assert not exports.exists()
    assert mediator.get(f"/disputes/{d.pk}/agreement.docx").status_code == 200
    assert mediator.get(f"/disputes/{d.pk}/file.docx").status_code == 200
    parties = sorted(d.parties.values_list("pk", flat=True))
    assert len(parties) >= 2
    for event in exports.order_by("id"):
        assert (event.actor, event.subject_type) == (world.mediator, "disputes.party")
        assert sorted(event.data["ids"]) == parties and event.data["rows"] == len(parties)
    assert exports.count() == 2
    assert browser_client(world.outsider).get(f"/disputes/{d.pk}/agreement.docx").status_code == 404
    assert exports.count() == 2
