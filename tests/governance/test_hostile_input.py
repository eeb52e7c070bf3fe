"""Hostile text in every free-text field, rendered on every page that shows it.

The fields are generated from the models of grids, disputes, legal_services and governance: every
editable CharField/TextField without choices, uniqueness or a validator of its own (those are not
free text) gets markup, a formula, an RTL override and emoji, with a tag naming the field. A new
field is filled automatically; only fields the machine writes are listed as exceptions. Then every
HTML page (the site's pages from the URL resolver, each with the objects' ids, and the admin) is
rendered as each persona: no page fails, the markup never comes out live, and wherever a field's
tag shows, the text after it is escaped. A NUL byte (PostgreSQL refuses it in text) in a search
or a form is a clear 400 or form error, never a 500.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.apps import apps
from django.core import validators
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from disputes import services as s
from disputes.mediation import services as mediation
from legal_services.services import aid_apply, consultation_record, event_log
from tests.clock import clock
from tests.disputes.mediation.conftest import med, new_dispute  # noqa: F401 - fixtures
from tests.legal_services.conftest import legal_world  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

APPS = ("grids", "disputes", "legal_services", "governance")
# Written by the machine, never typed by a person (hashes, keys, status codes, error logs, audit rows).
MACHINE = {
    "grids.User.password",
    "grids.Notification.kind",
    "grids.Notification.key",
    "grids.Notification.url",
    "grids.Delivery.last_error",
    "grids.OutboxMessage.task",
    "grids.OutboxMessage.last_error",
    "grids.AuditEvent.username",
    "grids.AuditEvent.subject_type",
    "grids.AuditEvent.subject_id",
    "disputes.CaseEvent.from_status",
    "disputes.CaseEvent.to_status",
    "disputes.DisputeEvent.from_status",
    "disputes.DisputeEvent.to_status",
    "legal_services.AidEvent.from_status",
    "legal_services.AidEvent.to_status",
    "disputes.Attachment.content_type",
    "disputes.Attachment.extension",
    "disputes.DailyStat.area_path",
    "disputes.ResidentSms.key",
    "disputes.IntakeKey.content_hash",
}
_PLAIN_VALIDATORS = (validators.MaxLengthValidator, validators.ProhibitNullCharactersValidator)
LIVE = ("<script>alert(", "<img src=x")  # escaped, these read &lt;script&gt; and &lt;img


def free_text_fields() -> list[models.Field]:
    """Every free-text field of the apps' models (see the module docstring)."""
    found = []
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            unique = {f for c in model._meta.constraints if isinstance(c, models.UniqueConstraint) for f in c.fields}
            unique |= {f for together in model._meta.unique_together for f in together}
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.CharField | models.TextField):
                    continue
                if isinstance(field, models.EmailField | models.URLField | models.SlugField):
                    continue
                if field.choices or not field.editable or field.unique or field.primary_key or field.name in unique:
                    continue
                if any(not isinstance(v, _PLAIN_VALIDATORS) for v in field.validators):
                    continue  # a phone or ID number: validated, not free text
                if f"{model._meta.label}.{field.name}" in MACHINE:
                    continue
                found.append(field)
    return found


def tag(n: int) -> str:
    return f"ħ{n:03d}ħ"


def payload(n: int, max_length: int | None) -> str:
    text = f"{tag(n)}\"><img src=x onerror=alert({n})><script>alert({n})</script>=cmd|' /C calc'!A0 😀 \u202eevil"
    return text[:max_length] if max_length else text


def _page_patterns():
    """(name, pattern) of every site URL, API and admin aside (they have their own tests)."""

    def walk(resolver, prefix="", namespace=""):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and p.name:
                yield f"{namespace}{p.name}", prefix + str(p.pattern)

    return [(n, p) for n, p in walk(get_resolver()) if not p.startswith(("api/", "admin/", "open311/"))]


# The model whose ids a page with one <int:pk> takes, by URL name prefix; pages that only act (POST)
# or download (XLSX, DOCX, photos) are tested elsewhere.
PK_MODELS = {
    "area_": "grids.Area",
    "grid_team": "grids.Area",
    "resident_": "grids.Resident",
    "household_": "grids.Household",
    "follow_up_assign": "grids.Resident",
    "patrol_": "grids.Patrol",
    "case_": "disputes.Case",
    "dispute_": "disputes.Dispute",
    "mediation_org_": "disputes.MediationOrg",
    "report_": "governance.Report",
    "legal:consultation_": "legal_services.Consultation",
    "legal:aid_": "legal_services.AidApplication",
    "legal:savvy_": "legal_services.LegalSavvyResident",
    "legal:adviser_": "legal_services.Lawyer",
}
NOT_PAGES = re.compile(
    r"(logout|set_language|_export|_xlsx|_docx|_action|notification_open|visit_photo|attachment|patrol_(track|end|visit)"
    r"|report_(generate|progress|status)|password_reset|consultation_(answer|refer)|service_worker|manifest)"
)


def _urls(areas: list[int]) -> list[str]:
    """Every page, with the newest objects' ids (and for areas, `areas`: a chain the personas see)."""

    def pks(label: str) -> list[int]:
        if label == "grids.Area":
            return areas
        return list(apps.get_model(label).objects.order_by("-pk").values_list("pk", flat=True)[:3])

    urls = []
    for name, pattern in _page_patterns():
        if NOT_PAGES.search(name):
            continue
        args = re.findall(r"<(?:(\w+):)?(\w+)>", pattern)
        if not args:
            urls.append(reverse(name))
        elif args == [("int", "pk")]:
            label = next((m for prefix, m in PK_MODELS.items() if name.startswith(prefix)), None)
            assert label, f"{name} ({pattern}): add its model to PK_MODELS so hostile text is rendered on it"
            for pk in pks(label):
                urls.append(reverse(name, args=[pk]))
        elif name == "legal:registry":
            urls += [reverse(name, args=[k]) for k in ("savvy", "advisers", "service-points", "model-households")]
        elif name == "refer_to_aid":  # 转法律援助 from a case or a dispute: the form shows its text
            urls += [
                reverse(name, args=[kind, pk])
                for kind, label in (("case", "disputes.Case"), ("dispute", "disputes.Dispute"))
                for pk in pks(label)
            ]
        elif name == "public_track":
            continue  # the resident's tracking page: tests/disputes/test_pages.py
        else:
            raise AssertionError(f"{name} ({pattern}): say here how to render hostile text on it")
    return urls


def _areas(world) -> list[int]:
    t = world.t
    return [t.district.pk, world.town1.pk, t.villages[0].pk, t.grids[0].pk, t.micro_of(t.grids[0])[0].pk]


@pytest.fixture
def everything(world, categories, report, legal_world, med, new_dispute):  # noqa: F811
    """A little of everything: a case worked through several steps, a dispute with an agreement,
    legal records; then every free-text field of every row overwritten with a tagged payload."""
    ct = world.center_town
    with clock("2026-11-16 09:00"):
        case = s.case_accept(case=report(), by=ct)
        case = s.case_dispatch(case=case, by=ct, lead_department=world.police1, co_departments=[world.urban1])
        s.case_sign(case=case, by=world.dept_police)
        s.case_return(case=case, by=world.dept_urban, reason_code="not_our_duty", reason="x")
        s.case_request_extension(case=case, by=world.dept_police, days=2, reason="x")
        report()
        dispute = new_dispute()
        dispute = mediation.dispute_assign(dispute=dispute, by=ct, organisation=med.committee1, mediator=world.mediator)
        mediation.dispute_accept(dispute=dispute, by=world.mediator)
        consultation_record(by=world.legal, topic="wages", question="x", answer="y", channel="phone", name="z")
        aid_apply(by=world.legal, matter="wages", reason="x", name="y")
        event_log(
            by=world.legal,
            held_on=date(2026, 11, 16),
            place="x",
            organiser="y",
            title="z",
            topic="anti_fraud",
            audience=1,
            area=legal_world.village1,
        )
    fields = free_text_fields()
    filled = {}
    for n, field in enumerate(fields):
        value = payload(n, field.max_length)
        rows = field.model._base_manager.update(**{field.name: value})
        if rows:
            filled[n] = field
    return fields, filled


def test_the_fields_are_generated_from_the_models():
    labels = {f"{f.model._meta.label}.{f.name}" for f in free_text_fields()}
    for expected in (
        "disputes.Case.description",
        "disputes.Case.title",
        "grids.Area.name",
        "legal_services.Consultation.question",
        "disputes.Agreement.terms",
    ):
        assert expected in labels
    assert "grids.Resident.phone" not in labels  # validated, not free text
    assert not MACHINE & labels


def test_hostile_text_is_escaped_on_every_page(world, everything, browser_client):
    fields, filled = everything
    shown: set[int] = set()
    pages = 0
    urls = _urls(_areas(world))
    for persona in (world.grid_a, world.center_town, world.dept_police, world.official, world.mediator, world.legal):
        client = browser_client(persona)
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 302, 403, 404, 405), f"{url} as {persona}: {response.status_code}"
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            html = response.content.decode()
            for live in LIVE:
                assert live not in html, f"{url} as {persona} prints {live!r} as markup"
            for n in filled:
                at = html.find(tag(n))
                if at < 0:
                    continue
                shown.add(n)
                after = html[at + len(tag(n)) : at + len(tag(n)) + 20]
                assert after.startswith("&quot;&gt;&lt;img") or len(payload(n, filled[n].max_length)) < 20, (
                    f"{filled[n].model._meta.label}.{filled[n].name} on {url}: {after!r}"
                )
    print(
        f"\nhostile input: {len(fields)} free-text fields, {len(filled)} filled, {len(shown)} shown on "
        f"{pages} pages, all escaped"
    )
    labels = {f"{filled[n].model._meta.label}.{filled[n].name}" for n in shown}
    for expected in ("disputes.Case.title", "disputes.Case.description", "grids.Area.name", "disputes.Dispute.summary"):
        assert expected in labels


def test_admin_pages_escape_hostile_text(world, everything, browser_client):
    fields, filled = everything
    client = browser_client(world.admin)
    for model in {f.model for f in filled.values()}:
        meta = model._meta
        try:
            changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        except Exception:  # noqa: BLE001 - not in the admin
            continue
        urls = [changelist]
        pk = model._base_manager.values_list("pk", flat=True).first()
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk]))
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 302, 403), f"{url}: {response.status_code}"
            html = response.content.decode()
            for live in LIVE:
                assert live not in html, f"{url} prints {live!r} as markup"


@pytest.mark.parametrize("persona", ["center_town", "legal", "mediator"])
def test_a_nul_byte_in_a_search_is_not_a_server_error(world, everything, browser_client, persona):
    client = browser_client(getattr(world, persona))
    for url in _urls(_areas(world)):
        if "/<" in url:
            continue
        response = client.get(url, {"q": "a\x00b", "status": "\x00", "area": "\x00"})
        assert response.status_code in (200, 302, 400, 403, 404, 405), f"{url}?q=NUL: {response.status_code}"


def test_a_nul_byte_in_any_api_query_parameter_is_not_a_server_error(world, everything, api):
    """Every string query parameter of every GET operation in the OpenAPI schema, given a NUL."""
    client = api(world.center_town)
    schema = api(world.admin).get("/api/v1/schema/", {"format": "json"}).json()
    sent = 0
    for path, operations in schema["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        names = [
            p["name"]
            for p in operations["get"].get("parameters", [])
            if p.get("in") == "query" and p.get("schema", {}).get("type") in ("string", None)
        ]
        for name in names:
            response = client.get(path, {name: "a\x00b"})
            sent += 1
            assert response.status_code in (200, 400, 403, 404), f"{path}?{name}=NUL: {response.status_code}"
    assert sent >= 10


@pytest.mark.parametrize("via", ["api", "page"])
def test_a_nul_byte_in_a_case_is_a_clear_error_and_nothing_is_stored(world, categories, api, browser_client, via):
    from disputes.models import Case

    micro = world.t.micro_grids[0]
    body = {"category": "road_damage", "lat": micro.centroid_lat, "lng": micro.centroid_lng}
    if via == "api":
        response = api(world.grid_a).post(
            "/api/v1/cases/", {**body, "title": "坑\x00", "description": "路面\x00塌陷"}, format="json"
        )
        assert response.status_code == 400 and "description" in response.json()
    else:
        category = categories.road.pk
        response = browser_client(world.grid_a).post(
            "/cases/new/", {**body, "category": category, "title": "坑", "description": "路面\x00塌陷"}
        )
        assert response.status_code == 200  # the form again, with the error on the field
        assert "空字符" in response.content.decode() or "Null characters" in response.content.decode()
    assert Case.objects.count() == 0
