"""Field work (issue 16): patrols with tracks, visits, household files, door registration,
special-population follow-ups and their overdue sweep, the dashboard's patrol figures."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from disputes.sweep import sweep_deadlines
from grids import services
from grids.models import (
    FollowUp,
    FollowUpLapse,
    Household,
    Notification,
    Patrol,
    RegistrationChange,
    Resident,
    Visit,
)
from tests.grids.conftest import make_resident, valid_id_number

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def homes(world):
    """Two households in grid_a's first micro-grid, one in town 2; a person under community
    correction followed up by grid_a every 30 days."""
    t = world.t
    micro_a = t.micro_of(t.grids[0])[0]
    micro_b = t.micro_of(t.grids[2])[0]
    h1 = Household.objects.create(number="H-A1", micro_grid=micro_a, area_path=micro_a.path, unit="2单元", room="301")
    h2 = Household.objects.create(number="H-A2", micro_grid=micro_a, area_path=micro_a.path, rental=True)
    hb = Household.objects.create(number="H-B1", micro_grid=micro_b, area_path=micro_b.path)
    wang = make_resident(
        micro_a, name="王小明", phone="13912345678", household=h1, special_population="community_correction"
    )
    li = make_resident(micro_a, name="李桂英", household=h1, floating=True)
    zhao = make_resident(micro_a, name="赵大军", household=h2)
    far = make_resident(micro_b, name="钱六", household=hb)
    follow = services.follow_up_assign(by=world.center_town, resident=wang, helper=world.grid_a, frequency_days=30)
    return {"h1": h1, "h2": h2, "hb": hb, "wang": wang, "li": li, "zhao": zhao, "far": far, "follow": follow}


def _track(start, n=3):
    base_lat, base_lng = 40.55, 110.05
    return [
        {"lat": base_lat + i * 0.001, "lng": base_lng + i * 0.001, "at": (start + timedelta(minutes=i)).isoformat()}
        for i in range(n)
    ]


# ------------------------------------------------------------------------- the patrol, end to end


def test_patrol_with_track_two_visits_and_a_case_shows_on_the_grid_page_and_dashboard(
    world, homes, categories, browser_client, api
):
    grid = world.t.grids[0]
    micro = world.t.micro_of(grid)[0]
    client = browser_client(world.grid_a)
    start = timezone.now()
    response = client.post(reverse("patrol_start"), {"grid": grid.pk})
    patrol = Patrol.objects.get(worker=world.grid_a)
    start = patrol.started_at
    assert response.status_code == 302 and response["Location"] == reverse("patrol_detail", args=[patrol.pk])

    # The phone sends its track in batches; a batch sent twice adds nothing.
    url = reverse("patrol_track", args=[patrol.pk])
    body = {"points": _track(start)}
    assert client.post(url, body, content_type="application/json").json() == {"added": 3}
    assert client.post(url, body, content_type="application/json").json() == {"added": 0}

    for household, purpose in ((homes["h1"], "routine"), (homes["h2"], "policy")):
        response = client.post(
            reverse("patrol_visit", args=[patrol.pk]), {"household": household.pk, "purpose": purpose, "note": "正常"}
        )
        assert response.status_code == 302
    response = client.post(
        reverse("case_new") + f"?patrol={patrol.pk}",
        {
            "category": categories.road.pk,
            "urgency": "normal",
            "description": "巡查发现路面塌陷",
            "lat": micro.centroid_lat,
            "lng": micro.centroid_lng,
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("patrol_detail", args=[patrol.pk])
    case = patrol.cases.get()
    assert case.source == "patrol"
    with time_machine.travel(start + timedelta(minutes=40), tick=False):
        assert client.post(reverse("patrol_end", args=[patrol.pk]), {"note": "一切正常"}).status_code == 302
    patrol.refresh_from_db()
    assert not patrol.open and patrol.duration_minutes == 40 and patrol.case_count == 1
    assert patrol.distance_m > 200 and patrol.points.count() == 3

    page = client.get(reverse("patrol_detail", args=[patrol.pk]))
    assert len(page.context["visits"]) == 2 and [c.id for c in page.context["cases"]] == [case.pk]
    assert len(page.context["map_data"]["track"]) == 3

    grid_page = browser_client(world.center_town).get(reverse("area_detail", args=[grid.pk]))
    [shown] = grid_page.context["recent_patrols"]
    assert shown.pk == patrol.pk and shown.visit_count == 2 and shown.case_count == 1
    assert reverse("patrol_detail", args=[patrol.pk]) in grid_page.content.decode()

    figures = api(world.center_town).get(f"{API}/dashboard/", {"area": world.town1.pk}).json()["patrols"]
    assert figures["patrols"] == 1
    # Town 1 has two grids; grid_a's was patrolled this week.
    assert figures["grids"] == 2 and figures["grids_not_patrolled"] == 1
    assert figures["weeks"][-1]["patrols"] == 1
    listed = browser_client(world.center_town).get(figures["links"]["patrols"])
    assert [p.pk for p in listed.context["page"]] == [patrol.pk]
    unpatrolled = browser_client(world.center_town).get(figures["links"]["grids_not_patrolled"])
    assert [g.pk for g in unpatrolled.context["page"]] == [world.t.grids[1].pk]


def test_one_open_patrol_per_worker_and_only_in_their_own_grid(world):
    services.patrol_start(by=world.grid_a, grid=world.t.grids[0])
    with pytest.raises(services.FieldConflict):
        services.patrol_start(by=world.grid_a, grid=world.t.grids[0])
    with pytest.raises(services.FieldNotAllowed):
        services.patrol_start(by=world.grid_b, grid=world.t.grids[0])
    with pytest.raises(services.FieldNotAllowed):
        services.patrol_start(by=world.center_town, grid=world.t.grids[0])


def test_nothing_found_is_a_record_and_a_closed_patrol_takes_no_more_points(world, browser_client):
    patrol = services.patrol_start(by=world.grid_a, grid=world.t.grids[0])
    client = browser_client(world.grid_a)
    client.post(reverse("patrol_end", args=[patrol.pk]), {"nothing_found": "on"})
    patrol.refresh_from_db()
    assert patrol.nothing_found and not patrol.open
    response = client.post(
        reverse("patrol_track", args=[patrol.pk]), {"points": _track(timezone.now())}, content_type="application/json"
    )
    assert response.status_code == 409
    # Someone else's patrol: visible to the center, not theirs to record.
    other = browser_client(world.center_town)
    assert other.post(reverse("patrol_end", args=[patrol.pk])).status_code == 403


def test_track_points_are_validated(world, browser_client):
    patrol = services.patrol_start(by=world.grid_a, grid=world.t.grids[0])
    client = browser_client(world.grid_a)
    url = reverse("patrol_track", args=[patrol.pk])
    bad = [{"lat": 95, "lng": 110, "at": timezone.now().isoformat()}]
    assert client.post(url, {"points": bad}, content_type="application/json").status_code == 400
    old = [{"lat": 40.5, "lng": 110, "at": (timezone.now() - timedelta(days=2)).isoformat()}]
    assert client.post(url, {"points": old}, content_type="application/json").status_code == 400
    assert client.post(url, "nonsense", content_type="application/json").status_code == 400


# --------------------------------------------------------------------------------------- API


def test_api_takes_a_whole_offline_patrol(world, homes, report, api):
    case = report(by=world.grid_a)
    start = timezone.now() - timedelta(hours=2)
    body = {
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=50)).isoformat(),
        "track": _track(start, 4),
        "visits": [
            {"household": homes["h1"].pk, "purpose": "routine", "note": "家中无事"},
            {"resident": homes["wang"].pk, "purpose": "follow_up", "note": "按时报到"},
        ],
        "cases": [case.pk],
        "nothing_found": False,
    }
    response = api(world.grid_a).post(f"{API}/patrols/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["grid"]["id"] == world.t.grids[0].pk and data["duration_minutes"] == 50
    assert len(data["track"]) == 4 and len(data["visits"]) == 2 and data["cases"] == [case.pk]
    # Sent again (the answer was lost offline): recorded once.
    again = api(world.grid_a).post(f"{API}/patrols/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == data["id"] and Patrol.objects.count() == 1
    changed = {**body, "ended_at": (start + timedelta(minutes=55)).isoformat()}
    assert api(world.grid_a).post(f"{API}/patrols/", changed, format="json").status_code == 409
    case.refresh_from_db()
    assert case.patrol_id == data["id"]
    # The follow-up visit moved the next due date.
    homes["follow"].refresh_from_db()
    assert homes["follow"].next_due_at == start + timedelta(minutes=50) + timedelta(days=30)

    listed = api(world.center_town).get(f"{API}/patrols/", {"area": world.t.grids[0].pk}).json()
    assert [p["id"] for p in listed["results"]] == [data["id"]] and listed["results"][0]["cases"] == [case.pk]
    date = timezone.localdate(start).isoformat()
    assert api(world.center_town).get(f"{API}/patrols/", {"from": date, "to": date}).json()["count"] == 1
    later = (timezone.localdate(start) + timedelta(days=1)).isoformat()
    assert api(world.center_town).get(f"{API}/patrols/", {"from": later}).json()["count"] == 0
    # The mediator sees the patrol but not the special-population follow-up visit.
    detail = api(world.mediator).get(f"{API}/patrols/{data['id']}/").json()
    assert [v["purpose"] for v in detail["visits"]] == ["routine"]


def test_api_patrol_rejects_bad_input_and_foreign_cases(world, homes, report, api):
    start = timezone.now() - timedelta(hours=1)
    base = {"started_at": start.isoformat(), "ended_at": (start + timedelta(minutes=10)).isoformat()}
    client = api(world.grid_a)
    assert (
        client.post(
            f"{API}/patrols/",
            {**base, "ended_at": start.isoformat(), "started_at": timezone.now().isoformat()},
            format="json",
        ).status_code
        == 400
    )
    long_note = {**base, "visits": [{"household": homes["h1"].pk, "purpose": "routine", "note": "字" * 501}]}
    assert client.post(f"{API}/patrols/", long_note, format="json").status_code == 400
    # A household out of the caller's scope reads as not existing.
    assert (
        client.post(f"{API}/patrols/", {**base, "visits": [{"household": homes["hb"].pk}]}, format="json").status_code
        == 400
    )
    foreign = report(by=world.grid_b, micro=world.t.micro_of(world.t.grids[2])[0])
    response = client.post(f"{API}/patrols/", {**base, "cases": [foreign.pk]}, format="json")
    assert response.status_code == 400 and "cases" in response.json()
    assert not Patrol.objects.exists()
    # Only grid workers record patrols.
    assert api(world.center_town).post(f"{API}/patrols/", base, format="json").status_code == 403
    assert api(world.outsider).post(f"{API}/patrols/", base, format="json").status_code == 403


@pytest.mark.parametrize(
    ("started", "ended", "field"),
    [
        # Found by the fuzz (tests/fuzz): a patrol from year 60 to 429 was stored, 193 million
        # minutes long, and its times came back with a +08:05:43 offset that is not RFC 3339.
        ("0060-07-02T23:37:42+08:00", "0429-02-15T17:14:06+08:00", "started_at"),
        ("0060-07-02T08:00:00+08:00", "0060-07-02T09:00:00+08:00", "started_at"),
        (timedelta(days=3), timedelta(hours=1), "ended_at"),
        (timedelta(days=31), timedelta(days=30, hours=23), "started_at"),
    ],
)
def test_a_patrol_far_in_the_past_or_longer_than_a_day_is_a_400(world, api, started, ended, field):
    now = timezone.now()
    if isinstance(started, timedelta):
        started, ended = (now - started).isoformat(), (now - ended).isoformat()
    response = api(world.grid_a).post(f"{API}/patrols/", {"started_at": started, "ended_at": ended}, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Patrol.objects.exists()


def test_a_patrol_synced_days_later_is_still_recorded(world, api):
    start = timezone.now() - timedelta(days=29)
    body = {"started_at": start.isoformat(), "ended_at": (start + timedelta(hours=23)).isoformat()}
    assert api(world.grid_a).post(f"{API}/patrols/", body, format="json").status_code == 201


def test_outsider_and_department_see_no_patrols_or_households(world, homes, api, browser_client):
    patrol = services.patrol_record(
        by=world.grid_a,
        grid=world.t.grids[0],
        started_at=timezone.now() - timedelta(hours=1),
        ended_at=timezone.now(),
        nothing_found=True,
    )
    for persona in (world.outsider, world.dept_police, world.grid_b):
        client = api(persona)
        assert client.get(f"{API}/patrols/").json()["count"] == 0
        assert client.get(f"{API}/patrols/{patrol.pk}/").status_code == 404
        assert client.get(f"{API}/households/{homes['h1'].pk}/").status_code == 404
        assert homes["h1"].pk not in [h["id"] for h in client.get(f"{API}/households/").json()["results"]]
        page = browser_client(persona)
        for name, args in (
            ("patrol_detail", [patrol.pk]),
            ("household_detail", [homes["h1"].pk]),
            ("household_edit", [homes["h1"].pk]),
            ("resident_new", [homes["h1"].pk]),
            ("resident_edit", [homes["wang"].pk]),
            ("patrol_visit", [patrol.pk]),
        ):
            assert page.get(reverse(name, args=args)).status_code == 404, (persona, name)
        assert (
            page.post(reverse("patrol_track", args=[patrol.pk]), {}, content_type="application/json").status_code == 404
        )
        assert page.post(reverse("patrol_end", args=[patrol.pk])).status_code == 404
        assert list(page.get(reverse("patrol_list")).context["page"]) == []
        assert homes["h1"] not in list(page.get(reverse("household_list")).context["page"])
    assert api(None).get(f"{API}/patrols/").status_code in (401, 403)


# ------------------------------------------------------------------------------ household files


def test_household_file_shows_members_visits_and_cases(world, homes, report, browser_client, api):
    case = report(by=world.grid_a)
    case.involved_residents.add(homes["li"])
    services.visit_log(by=world.grid_a, household=homes["h1"], purpose="routine", note="核对人口")
    page = browser_client(world.grid_a).get(reverse("household_detail", args=[homes["h1"].pk]))
    html = page.content.decode()
    assert [r.resident.name for r in page.context["rows"]] == ["王小明", "李桂英"]
    assert "13912345678" in html and "2单元" in html and "301" in html
    assert [c.id for c in page.context["cases"]] == [case.pk] and len(page.context["visits"]) == 1
    assert page.context["floating"] and page.context["special"] == ["社区矫正对象"]

    # The mediator reads the file masked, without the special group or the audit.
    mediated = browser_client(world.mediator).get(reverse("household_detail", args=[homes["h1"].pk]))
    html = mediated.content.decode()
    assert "13912345678" not in html and "139****5678" in html and "社区矫正对象" not in html
    assert mediated.context["special"] == [] and 'data-testid="household-changes"' not in html

    data = api(world.mediator).get(f"{API}/households/{homes['h1'].pk}/").json()
    assert [m["name"] for m in data["members"]] == ["王小明", "李桂英"]
    assert data["members"][0]["phone"] == "139****5678" and data["flags"]["special_groups"] is None
    assert data["flags"]["floating"] is True and data["cases"][0]["id"] == case.pk and data["changes"] is None
    assert data["building"] is None and data["unit"] == "2单元"


def test_household_search_never_matches_hidden_digits(world, homes, api):
    wang = homes["wang"]
    hidden = wang.phone[-5:]  # one digit more than the mask shows
    assert api(world.grid_a).get(f"{API}/households/", {"q": hidden}).json()["count"] == 1
    assert api(world.mediator).get(f"{API}/households/", {"q": hidden}).json()["count"] == 0
    assert api(world.mediator).get(f"{API}/households/", {"q": wang.id_number[-6:]}).json()["count"] == 0
    assert api(world.mediator).get(f"{API}/households/", {"q": "李桂"}).json()["count"] == 1
    listed = api(world.center_town).get(f"{API}/households/", {"area": world.t.grids[0].pk}).json()
    assert {h["number"] for h in listed["results"]} == {"H-A1", "H-A2"}
    assert api(world.center_town).get(f"{API}/households/", {"area": world.t.grids[2].pk}).status_code == 400


def test_lists_and_details_cost_a_constant_number_of_queries(
    world, homes, report, api, browser_client, django_assert_max_num_queries
):
    for _ in range(3):
        p = services.patrol_record(
            by=world.grid_a,
            grid=world.t.grids[0],
            started_at=timezone.now() - timedelta(hours=2),
            ended_at=timezone.now() - timedelta(hours=1),
            track=_track(timezone.now() - timedelta(hours=2)),
            visits=[{"household": homes["h1"], "purpose": "routine", "note": ""}],
        )
    case = report(by=world.grid_a)
    case.involved_residents.add(homes["wang"])
    client = api(world.center_town)
    with django_assert_max_num_queries(8):
        assert client.get(f"{API}/patrols/").json()["count"] == 3
    with django_assert_max_num_queries(9):
        assert client.get(f"{API}/patrols/{p.pk}/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(f"{API}/households/").json()["count"] == 2
    with django_assert_max_num_queries(12):
        assert client.get(f"{API}/households/{homes['h1'].pk}/").status_code == 200
    page = browser_client(world.center_town)
    with django_assert_max_num_queries(14):
        page.get(reverse("patrol_list"))
    with django_assert_max_num_queries(16):
        page.get(reverse("patrol_detail", args=[p.pk]))
    with django_assert_max_num_queries(14):
        page.get(reverse("household_list"))
    with django_assert_max_num_queries(18):
        page.get(reverse("household_detail", args=[homes["h1"].pk]))


# ------------------------------------------------------------------------- door registration


def test_grid_worker_registers_and_corrects_residents_with_validation_and_audit(world, homes, browser_client):
    client = browser_client(world.grid_a)
    h1 = homes["h1"]
    url = reverse("resident_new", args=[h1.pk])
    good = valid_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post(url, {"name": "孙新", "id_number": bad, "phone": "13800138000"})
    assert response.status_code == 400 and "校验位" in response.content.decode()
    response = client.post(url, {"name": "孙新", "id_number": good, "phone": "12345"})
    assert response.status_code == 400 and "电话号码无效" in response.content.decode()
    assert client.post(url, {"name": "孙新", "id_number": good, "phone": "13800138000"}).status_code == 302
    sun = Resident.objects.get(name="孙新")
    assert sun.household_id == h1.pk and sun.area_path == h1.area_path and sun.birth_date is not None
    response = client.post(
        reverse("resident_edit", args=[sun.pk]), {"name": "孙鑫", "id_number": good, "phone": "13800138001"}
    )
    assert response.status_code == 302
    change = RegistrationChange.objects.filter(resident=sun).first()
    assert change.action == "resident_edit" and change.by == world.grid_a
    assert change.changes == {"name": ["孙新", "孙鑫"], "phone": ["138****8000", "138****8001"]}
    assert (
        client.post(
            reverse("household_edit", args=[h1.pk]), {"micro_grid": h1.micro_grid_id, "room": "302", "unit": "2单元"}
        ).status_code
        == 302
    )
    page = client.get(reverse("household_detail", args=[h1.pk]))
    assert [c.action for c in page.context["changes"]] == ["household_edit", "resident_edit", "resident_add"]
    assert "302" in page.content.decode()

    # A new household in the worker's own grid.
    micro = world.t.micro_of(world.t.grids[0])[1]
    assert client.post(reverse("household_new"), {"micro_grid": micro.pk, "address": "一组5号"}).status_code == 302
    assert Household.objects.get(micro_grid=micro).number == f"{micro.code}001"


def test_only_grid_workers_of_the_grid_register(world, homes, browser_client):
    # The center sees the household but does not register at the door: 403.
    center = browser_client(world.center_town)
    assert center.get(reverse("resident_new", args=[homes["h1"].pk])).status_code == 403
    assert center.get(reverse("household_new")).status_code == 403
    with pytest.raises(services.FieldNotAllowed):
        services.resident_update(by=world.grid_b, resident=homes["wang"], name="X")


# -------------------------------------------------------------- special populations (帮教)


def test_an_overdue_follow_up_visit_warns_exactly_once_per_lapse(world, homes):
    follow = homes["follow"]
    due = follow.next_due_at
    with time_machine.travel(due - timedelta(hours=1), tick=False):
        sweep_deadlines(now=timezone.now())
    assert not Notification.objects.filter(kind="follow_up_overdue").exists()
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        result = sweep_deadlines(now=timezone.now())
        assert result.follow_ups == 1
        sweep_deadlines(now=timezone.now())
    with time_machine.travel(due + timedelta(days=3), tick=False):
        assert sweep_deadlines(now=timezone.now()).follow_ups == 0
    warned = Notification.objects.filter(kind="follow_up_overdue")
    assert sorted(warned.values_list("recipient__username", flat=True)) == ["center_town", "grid_a"]
    assert FollowUpLapse.objects.count() == 1
    assert "王小明" in warned.first().display_title
    # A visit starts a new period; when it lapses too, that lapse warns once more.
    with time_machine.travel(due + timedelta(days=4), tick=False):
        services.visit_log(by=world.grid_a, resident=homes["wang"], purpose="follow_up", note="按时报到")
    follow.refresh_from_db()
    with time_machine.travel(follow.next_due_at + timedelta(minutes=1), tick=False):
        sweep_deadlines(now=timezone.now())
        sweep_deadlines(now=timezone.now())
    assert FollowUpLapse.objects.count() == 2 and warned.count() == 4


def test_sweep_deadlines_command_runs_the_visit_sweep(world, homes):
    from django.core.management import call_command

    moment = homes["follow"].next_due_at + timedelta(days=1)
    out = io.StringIO()
    call_command("sweep_deadlines", now=moment.isoformat(), stdout=out)
    assert FollowUpLapse.objects.count() == 1


def test_follow_ups_are_hidden_from_roles_that_do_not_need_them(world, homes, browser_client, api):
    services.visit_log(by=world.grid_a, resident=homes["wang"], purpose="follow_up", note="谈话")
    wang = homes["wang"]
    allowed = browser_client(world.grid_a)
    assert [f.pk for f in allowed.get(reverse("follow_up_list")).context["page"]] == [homes["follow"].pk]
    assert allowed.get(reverse("resident_detail", args=[wang.pk])).context["follow_up"] is not None
    for persona in (world.mediator, world.official, world.dept_police, world.outsider, world.legal):
        client = browser_client(persona)
        assert client.get(reverse("follow_up_list")).status_code == 404, persona
        detail = client.get(reverse("resident_detail", args=[wang.pk]))
        assert detail.status_code == 404 or detail.context["follow_up"] is None
        households = api(persona).get(f"{API}/households/{homes['h1'].pk}/")
        if households.status_code == 200:
            data = households.json()
            assert data["flags"]["special_groups"] is None
            assert all(v["purpose"] != "follow_up" for v in data["visits"])
        else:
            assert households.status_code == 404
    # The official sees patrol figures but not the follow-up counts (a list it cannot open).
    figures = api(world.official).get(f"{API}/dashboard/").json()["patrols"]
    assert figures["visits_due"] is None and figures["visits_overdue"] is None
    mine = api(world.center_town).get(f"{API}/dashboard/").json()["patrols"]
    assert mine["visits_due"] == 0 and mine["visits_overdue"] == 0


def test_visit_rules(world, homes):
    with pytest.raises(Exception) as exc:
        services.visit_log(by=world.grid_a, resident=homes["zhao"], purpose="follow_up")
    assert "帮教" in str(exc.value)
    with pytest.raises(services.FieldNotAllowed):
        services.visit_log(by=world.grid_b, household=homes["h1"], purpose="routine")
    with pytest.raises(Exception) as exc:
        services.visit_log(by=world.grid_a, household=homes["h2"], resident=homes["wang"], purpose="routine")
    assert "不属于" in str(exc.value)


def test_a_visit_photo_is_checked_and_served_only_to_those_who_see_the_visit(world, homes, browser_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    patrol = services.patrol_start(by=world.grid_a, grid=world.t.grids[0])
    client = browser_client(world.grid_a)
    fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = client.post(
        reverse("patrol_visit", args=[patrol.pk]), {"household": homes["h1"].pk, "purpose": "routine", "photo": fake}
    )
    assert response.status_code == 400 and not Visit.objects.exists()
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    photo = SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")
    response = client.post(
        reverse("patrol_visit", args=[patrol.pk]), {"household": homes["h1"].pk, "purpose": "routine", "photo": photo}
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert client.get(reverse("visit_photo", args=[visit.pk]))["Content-Type"] == "image/png"
    assert browser_client(world.outsider).get(reverse("visit_photo", args=[visit.pk])).status_code == 404


def test_grid_worker_home_shows_their_grid_patrol_figures(world, homes, browser_client):
    services.patrol_record(
        by=world.grid_a,
        grid=world.t.grids[0],
        started_at=timezone.now() - timedelta(hours=1),
        ended_at=timezone.now(),
        nothing_found=True,
    )
    page = browser_client(world.grid_a).get(reverse("home"))
    figures = page.context["patrol_figures"]
    assert figures["patrols"] == 1 and figures["grids_not_patrolled"] == 0 and figures["visits_due"] == 0
    assert 'data-testid="patrol-figures"' in page.content.decode()


def test_follow_up_assigned_from_the_resident_page_and_visited_from_the_household(world, homes, browser_client):
    wang, h1 = homes["wang"], homes["h1"]
    center = browser_client(world.center_town)
    page = center.get(reverse("resident_detail", args=[wang.pk]))
    assert page.context["follow_up_form"] is not None
    response = center.post(
        reverse("follow_up_assign", args=[wang.pk]), {"helper": world.grid_a.pk, "frequency_days": 7}
    )
    assert response.status_code == 302
    follow = FollowUp.objects.get(resident=wang)
    assert follow.frequency_days == 7
    # A helper outside the area is refused.
    center.post(reverse("follow_up_assign", args=[wang.pk]), {"helper": world.grid_b.pk, "frequency_days": 7})
    assert FollowUp.objects.get(resident=wang).helper == world.grid_a

    worker = browser_client(world.grid_a)
    response = worker.post(
        reverse("household_visit", args=[h1.pk]),
        {"household": h1.pk, "resident": wang.pk, "purpose": "follow_up", "note": "帮教谈话"},
    )
    assert response.status_code == 302
    follow.refresh_from_db()
    assert follow.last_visit_at is not None and follow.next_due_at > timezone.now() + timedelta(days=6)
    assert Visit.objects.get(purpose="follow_up").patrol is None

    assert browser_client(world.mediator).get(reverse("household_visit", args=[h1.pk])).status_code == 403
    for persona in (world.mediator, world.official):
        client = browser_client(persona)
        assert client.post(reverse("follow_up_assign", args=[wang.pk]), {}).status_code == 404
        assert client.get(reverse("resident_detail", args=[wang.pk])).context["follow_up_form"] is None
    for persona in (world.outsider, world.dept_police):
        client = browser_client(persona)
        assert client.get(reverse("household_visit", args=[h1.pk])).status_code == 404
        assert client.post(reverse("follow_up_assign", args=[wang.pk]), {}).status_code == 404


def test_admin_lists_field_records_read_only(world, homes, browser_client):
    services.patrol_start(by=world.grid_a, grid=world.t.grids[0])
    services.visit_log(by=world.grid_a, household=homes["h1"], purpose="routine")
    admin = browser_client(world.admin)
    for model in ("patrol", "visit", "followup", "registrationchange"):
        assert admin.get(f"/admin/grids/{model}/").status_code == 200, model
        assert admin.get(f"/admin/grids/{model}/add/").status_code == 403, model
