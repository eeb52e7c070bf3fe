"""The generated scope matrix (issue 18): every route and every OpenAPI operation × every persona.

The registry and the judging live in tests/scope_matrix.py; here the in-scope objects are built
in town 1 through the services, and the figure is reported for CI (tests/figures.py).
"""

from __future__ import annotations

import io
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import include, path
from django.utils import timezone
from PIL import Image

from tests import scope_matrix as sm
from tests.disputes.mediation.conftest import med, mediating, new_dispute  # noqa: F401
from tests.figures import report as report_figure
from tests.grids.conftest import make_resident, valid_id_number
from tests.legal_services.conftest import legal_world  # noqa: F401

pytestmark = pytest.mark.django_db


def _png(name: str) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


@pytest.fixture
def scoped(world, categories, med, mediating, legal_world, settings, tmp_path):  # noqa: F811
    """One in-scope object of every kind, in town 1, each made by its owner through the services."""
    from disputes.mediation import services as mediation
    from disputes.models import Attachment, Open311Client
    from disputes.services import case_accept, case_create, case_dispatch
    from disputes.services.residents import case_report_public, case_submit_open311
    from governance.reports.generation import make_weekly_reports
    from grids import services as grids
    from grids.models import Household, Notification
    from legal_services import services as legal

    settings.MEDIA_ROOT = str(tmp_path)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }
    t = world.t
    micro = t.micro_of(t.grids[0])[0]
    m = sm.OBJECTS
    today = timezone.localdate()

    household = Household.objects.create(
        number="H-SM1", micro_grid=micro, area_path=micro.path, address=m["household"].markers[0]
    )
    resident = make_resident(
        micro, name=m["resident"].markers[0], household=household, special_population="community_correction"
    )
    follow_up = grids.follow_up_assign(by=world.center_town, resident=resident, helper=world.grid_a, frequency_days=30)
    patrol = grids.patrol_start(by=world.grid_a, grid=t.grids[0])
    visit = grids.visit_log(
        by=world.grid_a, household=household, purpose="routine", patrol=patrol, photo=_png("visit.png")
    )

    marker = m["case"].markers[0]
    case = case_create(
        by=world.grid_a,
        category=categories.road,
        title=marker,
        description=marker,
        lat=micro.centroid_lat,
        lng=micro.centroid_lng,
        files=[_png("case.png")],
    )
    case = case_accept(case=case, by=world.center_town)
    case = case_dispatch(case=case, by=world.center_town, lead_department=world.police1)

    dispute = mediating(summary=m["dispute"].markers[0])
    dispute = mediation.dispute_agree(dispute=dispute, by=world.mediator, terms="赔偿三千元", signed_at=today)
    screening = mediation.screening_report(
        by=world.center_town,
        area=t.villages[0],
        month=today.replace(day=1),
        disputes_found=1,
        notes=m["screening"].markers[0],
    )

    consultation = legal.consultation_record(
        by=world.legal,
        topic="wages",
        question=m["consultation"].markers[0],
        channel="in_person",
        name=m["consultation"].markers[0],
        area=t.grids[0],
    )
    applicant_id = valid_id_number()
    aid = legal.aid_apply(
        by=world.legal,
        matter="wages",
        reason=m["aid"].markers[0],
        name=m["aid"].markers[0],
        id_number=applicant_id,
        phone="13900001111",
        area=t.grids[0],
    )
    law_event = legal.event_log(
        by=world.legal,
        held_on=today,
        place="社区活动室",
        organiser="一街司法所",
        topic="labour",
        audience=30,
        area=world.town1,
        title=m["law_event"].markers[0],
    )

    notification = Notification.objects.create(
        recipient=world.grid_a, kind="scope_matrix", title=m["notification"].markers[0], url="/cases/"
    )
    week_start = today - timedelta(days=today.weekday() + 7)
    report = make_weekly_reports(week_start=week_start, by=world.center_town, areas=[world.town1])[0]

    public_case, tracking_code = case_report_public(
        category=categories.road,
        description="路灯不亮",
        lat=micro.centroid_lat,
        lng=micro.centroid_lng,
        phone="13900002222",
    )
    client311 = Open311Client(name="12345 平台", requests_per_minute=1000)
    client311.set_key("scope-matrix-open311-key-0123")
    client311.save()
    open311_case, open311_token = case_submit_open311(
        client=client311,
        category=categories.road,
        description="井盖缺失",
        lat=micro.centroid_lat,
        lng=micro.centroid_lng,
    )

    return SimpleNamespace(
        case=case,
        attachment=Attachment.objects.get(case=case),
        dispute=dispute,
        org=med.committee1,
        area=t.grids[0],
        town1=world.town1,
        department=world.police1,
        category=categories.road,
        resident=resident,
        household=household,
        patrol=patrol,
        visit=visit,
        follow_up=follow_up,
        notification=notification,
        report=report,
        screening=screening,
        consultation=consultation,
        aid=aid,
        law_event=law_event,
        savvy=legal_world.savvy,
        adviser=legal_world.adviser,
        public_case=public_case,
        tracking_code=tracking_code,
        open311_number=open311_case.number,
        open311_token=open311_token,
        # Numbers the services gave, and links to detail pages: lists and pages show them only to readers.
        numbers={
            "case": [case.number, f'"/cases/{case.pk}/"'],
            "dispute": [dispute.number, f'"/disputes/{dispute.pk}/"'],
            "aid": [aid.number, f'"/legal/aid/{aid.pk}/"'],
            "consultation": [f'"/legal/consultations/{consultation.pk}/"'],
            "patrol": [f'"/patrols/{patrol.pk}/"'],
            "household": [f'"/households/{household.pk}/"'],
            "resident": [f'"/residents/{resident.pk}/"'],
            "report": [f'"/reports/{report.pk}/"'],
            "org": [f'"/mediation-orgs/{med.committee1.pk}/"'],
            "resident_identifiers": [resident.id_number, resident.phone],
            "applicant_identifiers": [applicant_id, "13900001111"],
            "caller_phone": ["13900002222"],
        },
        lat=micro.centroid_lat,
        lng=micro.centroid_lng,
        duplicates_url=(
            f"/api/v1/cases/duplicates/?category={categories.road.code}&lat={micro.centroid_lat}&lng={micro.centroid_lng}"
        ),
    )


@pytest.fixture
def clients(world, med):  # noqa: F811
    people = {name: getattr(world, name, None) for name in sm.PERSONAS}
    people["mediator2"], people["dept_judicial"] = med.mediator2, med.judicial
    result = {}
    for i, (name, user) in enumerate(people.items()):
        client = Client(REMOTE_ADDR=f"127.0.1.{i + 1}")  # one address each, as per-address limits see them
        if name != sm.ANONYMOUS:
            client.force_login(user)
        result[name] = client
    return result


def _admin_urls() -> list[str]:
    urls = ["/admin/"]
    for model in admin.site._registry:
        urls.append(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
    return urls


def test_every_route_and_operation_has_a_declared_scope():
    missing = sm.uncovered(sm.resolver_routes(), sm.openapi_operations())
    assert not missing, "\n".join(missing)


def _dummy(request):  # pragma: no cover - never called: the matrix only reads the URL configuration
    raise AssertionError


# The project's URLs plus one endpoint nobody declared (read by the test below, never served).
urlpatterns = [path("api/v1/secret-export/", _dummy), path("", include("governance.urls"))]


def test_a_new_endpoint_without_a_declared_scope_fails_the_matrix():
    missing = sm.uncovered(sm.resolver_routes(__name__), [("GET", "/api/v1/legal/secret/")])
    assert any("route /api/v1/secret-export/ has no declared scope" in line for line in missing), missing
    assert any("OpenAPI operation GET /api/v1/legal/secret/" in line for line in missing), missing


def test_scope_matrix(scoped, clients, monkeypatch):
    started = time.monotonic()
    routes = sm.resolver_routes()
    operations = sm.openapi_operations()
    missing = sm.uncovered(routes, operations)
    assert not missing, "\n".join(missing)
    out = sm.run(scoped, clients)
    admin_out = sm.run_admin(clients, _admin_urls())
    checks = out.checks + admin_out.checks
    problems = out.problems + admin_out.problems
    app_routes = [r for r in routes if not r.startswith(sm.ADMIN_PREFIX)]
    admin_routes = len(routes) - len(app_routes)
    report_figure(
        f"scope matrix: {len(app_routes)} routes (+{admin_routes} admin routes under one staff-only rule) "
        f"+ {len(operations)} OpenAPI operations × {len(sm.PERSONAS)} personas = {checks:,} checks, "
        f"{len(out.leaks)} leaks, {len(problems)} scope violations ({time.monotonic() - started:.0f} s)"
    )
    assert not out.leaks and not problems, "\n".join(out.leaks + problems)
    # Every marker was shown to some reader: a marker no page ever shows would prove nothing.
    everything = {m for name in sm.OBJECTS for m in sm.markers(name, scoped)}
    assert everything <= out.shown, f"markers no reader was ever shown: {sorted(everything - out.shown)}"

    # The judge can fail: declared as hidden from the official, the case page and list are caught.
    monkeypatch.setitem(sm.OBJECTS, "case", sm.Obj(sm.CASE_READERS - {"official"}, sm.OBJECTS["case"].markers))
    rules = [r for r in sm.REGISTRY if r.path in ("/cases/{pk}/", "/api/v1/cases/") and r.obj == "case"]
    caught = sm.run(scoped, clients, registry=rules)
    assert any("as official: out of scope must read as 404, got 200" in p for p in caught.problems)
    assert any("/api/v1/cases/ as official: LEAK" in leak for leak in caught.leaks)
