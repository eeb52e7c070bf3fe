"""Named personas, one per role, in a small nested territory (healthchecks' alice/bob/charlie style).

- grid_a: grid worker of grid 1 in town 1;   grid_b: grid worker of grid 1 in town 2
- center_town: town 1 center;                 center_town2: town 2 center
- center_district: district center;           official: district official (read-only)
- dept_police / dept_urban: town 1 police station and urban-management squadron
- dept_police2: town 2 police station;         mediator, legal: town 1
- outsider: logged in, no role at all;         admin: superuser
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from grids.models import DepartmentKind, Role, User
from grids.services import department_create, membership_grant
from tests.territory import build_territory

PASSWORD = "persona-pass-123"


@pytest.fixture(autouse=True)
def _chinese_first():
    """Every test starts in the default language; a request in English must not leak into the next test."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Personas are created in every test; full-strength PBKDF2 would dominate the run time."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # hashes made outside the fixture still verify
    ]


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Each test reads its own cache (a fresh key prefix; Redis is shared by the whole run, and a
    figure cached by one test's data must not answer another's). Not a flush: Redis also holds
    the broker's queues."""
    default = settings.CACHES["default"]
    settings.CACHES = {**settings.CACHES, "default": {**default, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture(autouse=True)
def _broker_not_paused():
    """The outbox's pause after a refused publish is per process: no test inherits another's."""
    from grids import outbox

    outbox.broker_refused(None)
    yield
    outbox.broker_refused(None)


def make_user(username: str, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    return user


@pytest.fixture
def territory(db):
    return build_territory()


@pytest.fixture
def world(territory):
    t = territory
    town1, town2 = t.towns
    police_kind = DepartmentKind.objects.create(code="police", name="派出所")
    urban_kind = DepartmentKind.objects.create(code="urban", name="城管中队")
    judicial_kind = DepartmentKind.objects.create(code="judicial", name="司法所")
    police1 = department_create(code="police-1", name="一街派出所", kind=police_kind, area=town1)
    urban1 = department_create(code="urban-1", name="一街城管中队", kind=urban_kind, area=town1)
    judicial1 = department_create(code="judicial-1", name="一街司法所", kind=judicial_kind, area=town1)
    police2 = department_create(code="police-2", name="二街派出所", kind=police_kind, area=town2)

    people = {}

    def persona(name: str, role: str | None = None, area=None, department=None, **extra):
        user = make_user(name, **extra)
        if role:
            membership_grant(user=user, role=role, area=area, department=department)
        people[name] = user
        return user

    persona("grid_a", Role.GRID_WORKER, area=t.grids[0])
    persona("grid_b", Role.GRID_WORKER, area=t.grids[2])
    persona("center_town", Role.CENTER_STAFF, area=town1)
    persona("center_town2", Role.CENTER_STAFF, area=town2)
    persona("center_district", Role.CENTER_STAFF, area=t.district)
    persona("official", Role.OFFICIAL, area=t.district)
    persona("dept_police", Role.DEPARTMENT_STAFF, department=police1)
    persona("dept_urban", Role.DEPARTMENT_STAFF, department=urban1)
    persona("dept_police2", Role.DEPARTMENT_STAFF, department=police2)
    persona("mediator", Role.MEDIATOR, area=town1)
    persona("legal", Role.LEGAL_STAFF, area=town1)
    persona("outsider")
    persona("admin", is_superuser=True, is_staff=True)
    return SimpleNamespace(
        t=t,
        town1=town1,
        town2=town2,
        police1=police1,
        urban1=urban1,
        judicial1=judicial1,
        police2=police2,
        kinds=SimpleNamespace(police=police_kind, urban=urban_kind, judicial=judicial_kind),
        **people,
    )


@pytest.fixture
def api():
    """An API client factory: api(user) is authenticated as that user."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def browser_client(client):
    """A Django test client factory logged in through the session, as a browser would be."""
    from django.test import Client

    def make(user) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make


@pytest.fixture
def categories(world):
    """Two categories: road damage (urban management) and public security (police)."""
    from disputes.models import Category

    road = Category.objects.create(
        code="road_damage",
        name="道路破损",
        sign_hours_normal=7,
        sign_hours_urgent=2,
        sign_hours_emergency=1,
        handle_days_normal=5,
        handle_days_urgent=3,
        handle_days_emergency=1,
    )
    road.usual_department_kinds.add(world.kinds.urban)
    security = Category.objects.create(code="public_security", name="治安问题", kind="incident")
    security.usual_department_kinds.add(world.kinds.police)
    return SimpleNamespace(road=road, security=security)


@pytest.fixture
def report(world, categories):
    """report(by=..., micro=...) files a case with a pin at a micro-grid's centroid."""
    from disputes.services import case_create

    def make(by=None, micro=None, category=None, **extra):
        micro = micro or world.t.micro_grids[0]
        return case_create(
            by=by or world.grid_a,
            category=category or categories.road,
            description=extra.pop("description", "路面塌陷约两平方米"),
            lat=micro.centroid_lat,
            lng=micro.centroid_lng,
            **extra,
        )

    return make


# Figures: a test that measures something (a fault, a load, the scope matrix) records one line,
# with the `figure` fixture or `tests.figures.report`; the lines are printed at the end of the run,
# so CI shows them whatever -q hides.
@pytest.fixture
def figure():
    from tests.figures import report

    return report


def pytest_terminal_summary(terminalreporter):
    from tests.figures import LINES

    if LINES:
        terminalreporter.section("figures")
        for line in LINES:
            terminalreporter.write_line(line)
