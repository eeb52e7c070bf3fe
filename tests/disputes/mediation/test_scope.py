"""Who sees a dispute: its body's mediators, the center and judicial office over it, officials
(read-only), and its reporter. Everyone else gets 404 on every endpoint and page."""

from __future__ import annotations

import pytest

from disputes.mediation.selectors import disputes_visible_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreed(world, med, mediating):
    from disputes.mediation import services

    d = mediating()
    return services.dispute_agree(dispute=d, by=world.mediator, terms="赔偿三千元", signed_at=d.created_at.date())


def test_disputes_visible_to(world, med, new_dispute, mediating):
    d = mediating()
    unassigned = new_dispute()
    town2 = new_dispute(
        by=world.grid_b,
        lat=world.t.micro_grids[4].centroid_lat,
        lng=world.t.micro_grids[4].centroid_lng,
        parties=[{"role": "applicant", "name": "某乙"}],
    )
    seen = lambda user: set(disputes_visible_to(user).values_list("pk", flat=True))  # noqa: E731
    assert seen(world.mediator) == {d.pk}  # only its body's disputes, not the whole town
    assert seen(med.mediator2) == set()
    assert seen(world.center_town) == {d.pk, unassigned.pk}
    assert seen(med.judicial) == {d.pk, unassigned.pk}
    assert seen(world.center_district) == seen(world.official) == {d.pk, unassigned.pk, town2.pk}
    assert seen(world.grid_a) == {d.pk, unassigned.pk}  # its reporter
    assert seen(world.grid_b) == {town2.pk}
    assert seen(world.legal) == {d.pk, unassigned.pk}  # the town's legal-services staff (司法所)
    for nobody in (world.outsider, world.dept_police, world.dept_urban, world.center_town2):
        assert seen(nobody) - {town2.pk} == set(), nobody


API_GETS = [
    "/api/v1/disputes/{d}/",
    "/api/v1/mediation-orgs/{org}/",
]
PAGES = [
    "/disputes/{d}/",
    "/disputes/{d}/agreement/",
    "/disputes/{d}/agreement.docx",
    "/disputes/{d}/file/",
    "/disputes/{d}/file.docx",
    "/mediation-orgs/{org}/",
    "/disputes/new/",
    "/screenings/",
]


def test_outsider_gets_404_everywhere(world, med, agreed, api, browser_client):
    ids = {"d": agreed.pk, "org": med.committee1.pk}
    client = api(world.outsider)
    for url in API_GETS:
        assert client.get(url.format(**ids)).status_code == 404, url
    for action in ("assign", "accept", "session", "agree", "fail", "refer", "confirm", "fulfil", "follow_up", "close"):
        assert client.post(f"/api/v1/disputes/{agreed.pk}/actions/{action}/", {}, format="json").status_code == 404
    for url in ("/api/v1/disputes/", "/api/v1/mediation-orgs/", "/api/v1/screenings/"):
        body = client.get(url).json()
        assert body["count"] == 0, url
    screening = client.post(
        "/api/v1/screenings/", {"area": world.t.villages[0].pk, "month": "2026-10", "disputes_found": 0}, format="json"
    )
    assert screening.status_code == 404
    created = client.post(
        "/api/v1/disputes/",
        {
            "kind": "neighbour",
            "summary": "x",
            "source": "walk_in",
            "area": world.t.grids[0].pk,
            "parties": [{"name": "某", "role": "applicant"}],
        },
        format="json",
    )
    assert created.status_code in (400, 403, 404)
    page = browser_client(world.outsider)
    for url in PAGES:
        assert page.get(url.format(**ids)).status_code == 404, url
    assert page.post(f"/disputes/{agreed.pk}/actions/close/").status_code == 404
    listing = page.get("/disputes/")
    assert listing.status_code == 200 and agreed.number not in listing.content.decode()


def test_other_town_gets_404(world, med, agreed, api, browser_client):
    for user in (world.grid_b, world.center_town2, med.mediator2, world.dept_police):
        assert api(user).get(f"/api/v1/disputes/{agreed.pk}/").status_code == 404, user
        assert browser_client(user).get(f"/disputes/{agreed.pk}/").status_code == 404, user
        assert browser_client(user).get(f"/disputes/{agreed.pk}/agreement.docx").status_code == 404, user
    assert api(world.center_town2).get(f"/api/v1/mediation-orgs/{med.committee1.pk}/").status_code == 404


def test_judicial_office_assigns(world, med, new_dispute, api):
    d = new_dispute()
    response = api(med.judicial).post(
        f"/api/v1/disputes/{d.pk}/actions/assign/", {"organisation": med.committee1.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["organisation"]["id"] == med.committee1.pk
