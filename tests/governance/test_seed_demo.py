"""The demo district: Jiuyuan's scale, pins that route, the demo logins, and idempotence.

The seed runs once for the module inside a transaction that is rolled back at the end, so the
other test modules never see it.
"""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Max
from django.test import override_settings
from shapely.geometry import shape
from stdnum.cn import ric

from disputes.models import Category
from governance.demo import CATEGORIES, id_check_digit, split_rect, spread
from grids.geo import locate_id
from grids.models import Area, Department, Household, Level, Membership, Resident, Role, User
from grids.validators import normalize_id_number, normalize_phone

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seed_output(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        with override_settings(DEBUG=True):
            call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def area(code: str) -> Area:
    return Area.objects.get(code=code)


def test_helpers_split_evenly_and_compute_the_gb11643_check_digit():
    assert spread(1758, 624).count(3) == 510 and sum(spread(1758, 624)) == 1758
    assert sum(spread(624, 88)) == 624 and set(spread(624, 88)) == {7, 8}
    cells = split_rect((0.0, 0.0, 1.0, 1.0), 7)
    assert len(cells) == 7 and sum((e - w) * (n - s) for w, s, e, n in cells) == pytest.approx(1.0)
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("15020719800101001") == ric.calc_check_digit("150207198001010010")


def test_territory_has_jiuyuan_scale_and_every_area_a_boundary(seed_output):
    counts = dict(Area.objects.values_list("level").annotate(n=Count("id")))
    assert counts == {"district": 1, "town": 8, "village": 88, "grid": 624, "micro_grid": 1758}
    assert not Area.objects.filter(boundary__isnull=True).exists()
    assert not Area.objects.filter(centroid_lat__isnull=True).exists()
    district, town1 = area("150207"), area("150207001")
    assert (district.name, town1.name) == ("九原区", "沙河街道")
    towns = list(Area.objects.filter(level=Level.TOWN).values_list("name", flat=True))
    assert sorted(towns) == sorted(
        ["沙河街道", "赛汗街道", "萨如拉街道", "白音席勒街道", "麻池镇", "哈林格尔镇", "兴胜镇", "阿嘎如泰苏木"]
    )
    code_lengths = {
        level: {len(c) for c in Area.objects.filter(level=level).values_list("code", flat=True)}
        for level in Level.values
    }
    assert code_lengths == {"district": {6}, "town": {9}, "village": {12}, "grid": {14}, "micro_grid": {16}}
    for child in Area.objects.exclude(level=Level.DISTRICT).select_related("parent")[::97]:
        assert child.path == f"{child.parent.path}{child.code}/"
        w, s, e, n = shape(child.boundary).bounds
        assert 109.7 <= w < e <= 110.1 and 40.5 <= s < n <= 40.7


def test_every_micro_grid_lies_in_its_grid_and_its_centroid_routes_to_itself(seed_output):
    grids = {g.pk: shape(g.boundary) for g in Area.objects.filter(level=Level.GRID)}
    for micro in Area.objects.filter(level=Level.MICRO_GRID):
        assert grids[micro.parent_id].buffer(1e-9).contains(shape(micro.boundary)), micro.code
        assert locate_id(micro.centroid_lat, micro.centroid_lng) == micro.pk, micro.code


def test_the_centroid_of_any_area_routes_to_a_micro_grid_inside_it(seed_output):
    paths = dict(Area.objects.filter(level=Level.MICRO_GRID).values_list("id", "path"))
    sample = list(Area.objects.filter(level__in=[Level.DISTRICT, Level.TOWN, Level.VILLAGE]))
    sample += list(Area.objects.filter(level=Level.GRID)[::13])
    for a in sample:
        found = locate_id(a.centroid_lat, a.centroid_lng)
        assert found is not None and paths[found].startswith(a.path), a.code


def test_departments_serve_each_town_and_the_district(seed_output):
    for town in Area.objects.filter(level=Level.TOWN):
        kinds = set(Department.objects.filter(area=town).values_list("kind__code", flat=True))
        assert {"police", "urban", "judicial"} <= kinds, town.name
    district_kinds = set(Department.objects.filter(area__code="150207").values_list("kind__code", flat=True))
    assert {
        "judicial",
        "market",
        "housing",
        "labour",
        "health",
        "environment",
        "fire",
        "civil",
        "petition",
    } <= district_kinds
    assert not Department.objects.filter(group__isnull=True).exists()


def test_categories_carry_departments_and_time_limits(seed_output):
    assert set(Category.objects.values_list("code", flat=True)) == {c.code for c in CATEGORIES}
    road = Category.objects.get(code="road_damage")
    assert road.name == "道路破损" and set(road.usual_department_kinds.values_list("code", flat=True)) == {
        "urban",
        "housing",
    }
    wages = Category.objects.get(code="wage_arrears")
    assert wages.sign_hours("urgent") < wages.sign_hours("normal") and wages.handle_days("normal") == 15


def test_residents_are_valid_people_in_households(seed_output):
    residents = list(Resident.objects.select_related("micro_grid", "household"))
    assert len(residents) == 3000 and Household.objects.count() > 500
    for r in residents:
        assert normalize_id_number(r.id_number) == r.id_number and r.id_number.startswith("150207")
        assert r.phone == "" or normalize_phone(r.phone) == r.phone
        assert r.area_path == r.micro_grid.path and r.micro_grid.level == Level.MICRO_GRID
        assert r.household.micro_grid_id == r.micro_grid_id
        assert r.gender == ("male" if int(r.id_number[16]) % 2 else "female")
    assert 10 < sum(1 for r in residents if r.special_population) < 200
    assert 5 < sum(1 for r in residents if r.key_person) < 200
    grid_a = Membership.objects.get(user__username="grid_a").area
    in_grid_a = Resident.objects.filter(area_path__startswith=grid_a.path)
    assert in_grid_a.exclude(special_population="").exists() and in_grid_a.filter(key_person=True).exists()


def test_demo_logins_hold_the_roles_the_contract_names(seed_output):
    def roles(username):
        return {
            (m.role, m.area.code if m.area else None, m.department.code if m.department else None)
            for m in Membership.objects.filter(user__username=username).select_related("area", "department")
        }

    for username in [
        "admin",
        "official",
        "center_district",
        "center_town",
        "dept_police",
        "dept_urban",
        "grid_a",
        "grid_b",
        "mediator",
        "legal",
    ]:
        user = authenticate(username=username, password=settings.DEMO_PASSWORD)
        assert user is not None and user.first_name, username
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert roles("official") == {(Role.OFFICIAL, "150207", None)}
    assert roles("center_district") == {(Role.CENTER_STAFF, "150207", None)}
    assert roles("center_town") == {(Role.CENTER_STAFF, "150207001", None)}
    assert roles("dept_police") == {(Role.DEPARTMENT_STAFF, None, "police-150207001")}
    assert roles("dept_urban") == {(Role.DEPARTMENT_STAFF, None, "urban-150207001")}
    assert roles("mediator") == {(Role.MEDIATOR, "150207001", None)}
    assert roles("legal") == {(Role.LEGAL_STAFF, "150207001", None)}
    (role_a, grid_a, _), (role_b, grid_b, _) = *roles("grid_a"), *roles("grid_b")
    assert role_a == role_b == Role.GRID_WORKER
    assert area(grid_a).level == Level.GRID and grid_a.startswith("150207001")
    assert area(grid_b).level == Level.GRID and grid_b.startswith("150207002")
    police = Department.objects.get(code="police-150207001")
    assert User.objects.get(username="dept_police").groups.filter(pk=police.group_id).exists()
    # The 1+3+N team around grid_a's grid: a chief on the village and team members on the grid.
    team = Membership.objects.filter(user__username__startswith="demo_").select_related("area")
    assert {m.team_role for m in team} >= {"社区民警", "综合执法队员", "法律明白人", "楼栋长"}
    chief = team.get(role=Role.GRID_CHIEF)
    assert chief.area.code == grid_a[:12] and chief.area.level == Level.VILLAGE
    assert all(m.area.code == grid_a for m in team if m.role != Role.GRID_CHIEF)
    assert "http://127.0.0.1:8000/" in seed_output and settings.DEMO_PASSWORD in seed_output
    assert "center_town" in seed_output


def snapshot() -> dict:
    return {
        "areas": Area.objects.aggregate(n=Count("id"), latest=Max("updated_at")),
        "residents": Resident.objects.aggregate(n=Count("id"), last=Max("id")),
        "households": Household.objects.count(),
        "departments": list(Department.objects.values_list("code", "name", "group_id")),
        "categories": list(Category.objects.values_list("code", "sign_hours_normal", "handle_days_normal")),
        "users": list(User.objects.order_by("username").values_list("username", "password", "first_name")),
        "memberships": list(
            Membership.objects.order_by("id").values_list("id", "user_id", "role", "area_id", "team_role")
        ),
    }


def test_a_second_run_changes_nothing(seed_output):
    before = snapshot()
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=out)
    assert snapshot() == before
    assert "nothing changed" in out.getvalue()


def test_refuses_with_debug_off_unless_forced(seed_output):
    assert settings.DEBUG is False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", "--force", stdout=out)
    assert "nothing changed" in out.getvalue()


def test_demo_history_is_consistent_and_sweepable(db):
    """The seeded history obeys the same rules as the services: unique numbers that the next
    intake continues, department permissions on dispatched cases, and clocks the sweep can act on."""
    from django.core.management import call_command

    from disputes.models import Assignment, Case, CaseNumberSequence
    from disputes.selectors import cases_visible_to
    from disputes.sweep import sweep_deadlines
    from grids.models import User

    call_command("seed_demo", "--force", verbosity=0)
    assert Case.objects.count() == 600
    for seq in CaseNumberSequence.objects.all():
        numbers = Case.objects.filter(number__startswith=f"{seq.day:%Y%m%d}-")
        assert numbers.count() == seq.last
    police = User.objects.get(username="dept_police")
    led = Assignment.objects.filter(department__memberships__user=police).values_list("case_id", flat=True)
    assert set(cases_visible_to(police).values_list("id", flat=True)) == set(led)
    first = sweep_deadlines()
    assert first.changes > 0
    assert sweep_deadlines().changes == 0


def test_field_work_buildings_units_patrols_and_follow_ups(seed_output):
    """Issue 16: demo residents live in buildings with units; a year of patrols and visits in the
    demo grids; special populations followed up by their grid worker, one visit overdue."""
    from django.utils import timezone

    from grids.models import Building, FollowUp, Patrol, Visit

    assert Building.objects.filter(units__gt=1).count() > 100
    placed = Household.objects.filter(building__isnull=False)
    assert placed.count() > 200 and not placed.filter(unit="").exists()
    assert all(h.building.micro_grid_id == h.micro_grid_id for h in placed.select_related("building")[:200])
    assert Resident.objects.filter(household__building__isnull=False).count() > 500
    assert not Household.objects.filter(area_path="").exists()
    grid_a = Membership.objects.get(user__username="grid_a").area
    patrols = Patrol.objects.filter(grid=grid_a)
    assert patrols.count() > 200 and patrols.filter(nothing_found=True).exists()
    first, last = patrols.order_by("started_at").first(), patrols.order_by("started_at").last()
    assert (last.started_at - first.started_at).days > 350 and first.points.count() > 3
    assert Visit.objects.filter(patrol__grid=grid_a).count() > 100
    follow_ups = FollowUp.objects.filter(area_path__startswith=grid_a.path)
    assert follow_ups.exists() and {f.helper.username for f in follow_ups} == {"grid_a"}
    assert follow_ups.filter(next_due_at__lt=timezone.now()).count() >= 1


def test_legal_services_at_haimens_ratios(seed_output):
    """An adviser for every village, ~1 legal-savvy resident per 100 residents, Jiuyuan's service
    points, and a year of consultations, legal aid (some reviews still open) and 普法 events."""
    from legal_services.models import AidApplication, Consultation, LawEvent, Lawyer, LegalSavvyResident, ServicePoint

    villages = Area.objects.filter(level=Level.VILLAGE)
    advised = set(Lawyer.villages.through.objects.values_list("area_id", flat=True))
    assert advised == set(villages.values_list("id", flat=True))
    assert LegalSavvyResident.objects.count() == Resident.objects.count() // 100
    kinds = dict(ServicePoint.objects.values_list("kind").annotate(n=Count("id")))
    assert kinds["judge_workstation"] == 14 and kinds["contact_point"] == 29 and kinds["shared_court"] == 8
    assert Consultation.objects.count() >= 400 and LawEvent.objects.count() >= 50
    assert AidApplication.objects.filter(status__in=["applied", "reviewing"]).exists()
    town1 = area("150207001")
    assert AidApplication.objects.filter(area_path__startswith=town1.path, created_by__username="legal").exists()


def test_mediation_bodies_mediators_disputes_and_screening(seed_output):
    """governance/demo_mediation.py: a committee in every village and town, the district's bodies,
    `mediator` on town 1's committee, a year of disputes, and screening with villages missing."""
    from disputes.mediation.models import Dispute, MediationOrg, Mediator, OrgKind, ScreeningReport

    kinds = dict(MediationOrg.objects.values_list("kind").annotate(n=Count("id")))
    assert kinds[OrgKind.VILLAGE_COMMITTEE] == 88 and kinds[OrgKind.TOWN_COMMITTEE] == 8
    assert kinds[OrgKind.SPECIALISED] >= 8
    assert {OrgKind.COURT_LINK, OrgKind.POLICE_ROOM, OrgKind.PETITION, OrgKind.LAWYER_ROOM, OrgKind.STUDIO} <= set(
        kinds
    )
    post = Mediator.objects.select_related("organisation").get(
        user__username="mediator", organisation__kind="town_committee"
    )
    assert post.organisation.area.code == "150207001"
    statuses = set(Dispute.objects.values_list("status", flat=True))
    assert {"closed", "agreed", "referred", "mediating", "assigned", "reported"} <= statuses
    assert Dispute.objects.filter(organisation=post.organisation, status__in=["assigned", "mediating"]).exists()
    months = ScreeningReport.objects.values("month").annotate(n=Count("id"))
    assert all(0 < m["n"] < 88 for m in months)  # every month some villages have not reported
