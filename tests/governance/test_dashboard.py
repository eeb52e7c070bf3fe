"""The dashboard: figures against a hand-computed fixture, the same numbers as the case list,
scoping, drill-down, query counts and the XLSX export."""

import io

import pytest
from openpyxl import load_workbook

from disputes import services
from disputes.sweep import sweep_deadlines
from tests.clock import at, clock

pytestmark = pytest.mark.django_db
NOW = "2026-11-20 10:00"  # a Friday


@pytest.fixture
def fixture_cases(world, report):
    """By hand, in town 1 (grid 1) unless said otherwise:
    - Mon 11-16 09:00: A reported, accepted, dispatched to police; signed 09:30; handled 11-17; verified;
      satisfied; closed 11-17.
    - Mon 11-16 09:00: B dispatched to urban, never signed → red on the sign clock (7 h → Mon 17:30).
    - Thu 11-19 09:00: C reported and left (reported).
    - Thu 11-19 09:00: D in town 2 (grid_b), reported.
    """
    with clock("2026-11-16 09:00"):
        a = services.case_accept(case=report(), by=world.center_town)
        a = services.case_dispatch(case=a, by=world.center_town, lead_department=world.police1)
        b = services.case_accept(case=report(), by=world.center_town)
        b = services.case_dispatch(case=b, by=world.center_town, lead_department=world.urban1)
    with clock("2026-11-16 09:30"):
        services.case_sign(case=a, by=world.dept_police)
    with clock("2026-11-17 10:00"):
        services.case_handle(case=a, by=world.dept_police, result="ok")
        services.case_verify(case=a, by=world.center_town)
        services.case_feedback(case=a, by=world.center_town, satisfaction="satisfied")
        services.case_close(case=a, by=world.center_town)
    sweep_deadlines(now=at("2026-11-17 09:00"))
    with clock("2026-11-19 09:00"):
        c = report()
        d = report(by=world.grid_b, micro=world.t.micro_grids[4])
    return {"a": a, "b": b, "c": c, "d": d}


@clock(NOW)
def test_district_figures_by_hand(world, fixture_cases, api):
    r = api(world.official).get(
        "/api/v1/dashboard/", {"area": world.t.district.pk, "from": "2026-11-16", "to": "2026-11-20"}
    )
    assert r.status_code == 200
    d = r.json()
    k = d["kpis"]
    assert (k["new"], k["new_week"], k["new_today"]) == (4, 4, 0)
    assert k["in_progress"] == 3  # B, C, D
    assert k["overdue"] == 1  # B
    assert k["closed"] == 1  # A
    # Departments: A signed in time, B did not (1/2). The center's accept clocks (4 working hours):
    # A and B accepted at once, C and D never, past Thu 13:00 (2/4). In all 3/6.
    assert k["response_rate"] == 0.5
    assert k["on_time_rate"] == 1.0  # A handled before its deadline
    assert k["satisfaction_rate"] == 1.0
    children = {c["name"]: c for c in d["children"]}
    assert children[world.town1.name]["new"] == 3 and children[world.town1.name]["overdue"] == 1
    # Town 2 never accepted D (0/1); town 1: A and B signed 1/2, accepted A, B but not C 2/3.
    assert children[world.town2.name]["new"] == 1 and children[world.town2.name]["response_rate"] == 0.0
    assert children[world.town1.name]["response_rate"] == 0.6
    assert d["categories"] == [{"code": "road_damage", "name": "道路破损", "count": 4}]
    assert d["departments"][0]["name"] == world.urban1.name and d["departments"][0]["overdue"] == 1
    assert d["trend"]["new"][-5:] == [2, 0, 0, 2, 0]
    assert d["trend"]["closed"][-5:] == [0, 1, 0, 0, 0]
    assert [c["name"] for c in d["breadcrumb"]] == [world.t.district.name]


@clock(NOW)
def test_numbers_match_the_case_list(world, fixture_cases, api):
    client = api(world.official)
    for area in (world.t.district, world.town1, world.t.grids[0]):
        d = client.get("/api/v1/dashboard/", {"area": area.pk, "from": "2026-11-16", "to": "2026-11-20"}).json()

        def listed(area=area, **f):
            return client.get("/api/v1/cases/", {"area": area.pk, **f}).json()["count"]

        assert d["kpis"]["new"] == listed(created_from="2026-11-16", created_to="2026-11-20")
        assert d["kpis"]["in_progress"] == listed(status="reported,accepted,dispatched,in_progress,handled,verified")
        assert d["kpis"]["overdue"] == listed(
            status="reported,accepted,dispatched,in_progress,handled,verified", overdue="true"
        )
        assert d["kpis"]["closed"] == listed(status="closed", closed_from="2026-11-16", closed_to="2026-11-20")


@clock(NOW)
def test_scoping(world, fixture_cases, api, browser_client):
    assert api(world.grid_a).get("/api/v1/dashboard/", {"area": world.t.district.pk}).status_code == 404
    assert api(world.grid_a).get("/api/v1/dashboard/", {"area": world.t.grids[0].pk}).status_code == 200
    assert api(world.center_town).get("/api/v1/dashboard/", {"area": world.town2.pk}).status_code == 404
    assert api(world.dept_police).get("/api/v1/dashboard/", {"area": world.town1.pk}).status_code == 404
    assert api(world.outsider).get("/api/v1/dashboard/").status_code == 404
    assert api().get("/api/v1/dashboard/").status_code in (401, 403)
    assert browser_client(world.grid_b).get(f"/dashboard/?area={world.town1.pk}").status_code == 404
    assert browser_client(world.grid_b).get(f"/dashboard/export.xlsx?area={world.town1.pk}").status_code == 404
    # Without an area, the user's own: the grid worker's grid.
    d = api(world.grid_a).get("/api/v1/dashboard/").json()
    assert d["area"]["id"] == world.t.grids[0].pk


def test_bad_parameters_are_400(world, api):
    client = api(world.official)
    assert client.get("/api/v1/dashboard/", {"from": "2026-13-01"}).status_code == 400
    assert client.get("/api/v1/dashboard/", {"from": "2026-11-20", "to": "2026-11-01"}).status_code == 400
    assert client.get("/api/v1/dashboard/", {"from": "2020-01-01", "to": "2026-11-01"}).status_code == 400
    assert client.get("/api/v1/dashboard/", {"area": "x"}).status_code == 400


@clock(NOW)
def test_drill_down_links_and_breadcrumb(world, fixture_cases, browser_client):
    client = browser_client(world.official)
    page = client.get("/dashboard/").content.decode()
    assert f'data-drill="{world.town1.pk}"' in page
    page = client.get(f"/dashboard/?area={world.town1.pk}").content.decode()
    assert f'data-drill="{world.t.villages[0].pk}"' in page
    assert f'href="?area={world.t.district.pk}' in page  # the breadcrumb leads back up
    page = client.get(f"/dashboard/?area={world.t.grids[0].pk}").content.decode()
    assert world.t.micro_grids[0].name in page


@clock(NOW)
def test_query_count_does_not_grow_with_data(world, report, api, django_assert_max_num_queries):
    client = api(world.official)
    report()
    client.get("/api/v1/dashboard/", {"area": world.t.district.pk})  # counts the month's days once
    # 12, plus 3 for the field-work block (patrols, grids not patrolled, visits), 1 for cases by
    # source and 2 for open supervisions and closures without feedback (issue 12).
    with django_assert_max_num_queries(18) as stored:  # nothing happened since: sums stored rows
        client.get("/api/v1/dashboard/", {"area": world.t.district.pk})
    report()  # an action marks today stale: the next read counts today again
    with django_assert_max_num_queries(40) as recounted:
        client.get("/api/v1/dashboard/", {"area": world.t.district.pk})
    for _ in range(10):
        services.case_accept(case=report(), by=world.center_town)
    with django_assert_max_num_queries(len(recounted.captured_queries)):
        assert client.get("/api/v1/dashboard/", {"area": world.t.district.pk}).json()["kpis"]["new"] == 12
    with django_assert_max_num_queries(len(stored.captured_queries)):
        client.get("/api/v1/dashboard/", {"area": world.t.district.pk})


@clock(NOW)
def test_xlsx_export(world, fixture_cases, browser_client):
    r = browser_client(world.official).get(
        f"/dashboard/export.xlsx?area={world.t.district.pk}&from=2026-11-16&to=2026-11-20"
    )
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    rows = {row[0]: row[1] for row in wb.worksheets[0].iter_rows(values_only=True)}
    assert rows["期间新增"] == 4 and rows["已超期"] == 1 and rows["响应率(%)"] == 50.0
    children = list(wb.worksheets[1].iter_rows(values_only=True))
    assert children[1][0] == world.town1.name and children[1][1] == 3


@clock(NOW)
def test_grid_worker_home_has_the_grids_small_dashboard(world, fixture_cases, browser_client):
    page = browser_client(world.grid_a).get("/").content.decode()
    assert 'data-testid="grid-dashboard"' in page
    assert world.t.grids[0].name in page
    assert 'data-testid="grid-dashboard"' not in browser_client(world.official).get("/").content.decode()
