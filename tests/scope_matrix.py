"""The scope matrix (issue 18): every URL pattern and every OpenAPI operation, declared with who may
see and act on an in-scope object, then requested as every persona.

- `resolver_routes()` walks Django's resolver; DRF's format-suffix variants fold onto their base.
- `openapi_operations()` reads drf-spectacular's schema.
- `REGISTRY` declares each route: which object governs it (`OBJECTS`: who reads it), who succeeds,
  and which URLs to request. A route or an operation missing from it fails the test.
- `run()` requests every URL as every persona, each inside a rolled-back savepoint, and judges:
  out-of-scope objects read as 404 (not 403, not 500); lists and pages never show the marker of
  an object the persona may not read; anonymous callers are sent to the login (pages) or refused
  (API); nothing answers 500.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import unquote

from django.db import transaction
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# --------------------------------------------------------------------------------------------------
# Personas (tests/conftest.py's `world`, plus the mediation fixtures' mediator2 and dept_judicial)

ANONYMOUS = "anonymous"
PERSONAS = [
    ANONYMOUS,
    "grid_a",
    "grid_b",
    "center_town",
    "center_town2",
    "center_district",
    "official",
    "dept_police",
    "dept_urban",
    "dept_police2",
    "dept_judicial",
    "mediator",
    "mediator2",
    "legal",
    "outsider",
    "admin",
]
SIGNED_IN = frozenset(PERSONAS) - {ANONYMOUS}
EVERYONE = frozenset(PERSONAS)

# Who reads what, in town 1 (the selectors' rules written out by hand, so the matrix checks them).
AREA_GRID1 = frozenset({"grid_a", "center_town", "center_district", "official", "mediator", "legal", "admin"})
TOWN1_STAFF = AREA_GRID1 - {"grid_a"}  # a village-level record: above grid_a's grid
TERRITORY1 = AREA_GRID1 | {"dept_police", "dept_urban", "dept_judicial"}  # areas, departments, bodies
CASE_READERS = AREA_GRID1 | {"dept_police"}  # dispatched to town 1's police station
DISPUTE_READERS = frozenset(
    {"grid_a", "center_town", "center_district", "official", "mediator", "dept_judicial", "legal", "admin"}
)
LEGAL_READERS = frozenset({"legal", "official", "admin"})
SENSITIVE = frozenset({"grid_a", "center_town", "center_district", "admin"})
REPORT_READERS = frozenset({"center_town", "center_district", "official", "admin"})
REGISTRARS = frozenset({"grid_a", "admin"})
GRID_WORKERS = frozenset({"grid_a", "grid_b"})  # pages about "my grid": any grid worker, in their own
# Everyone with an area role (anywhere): their own dashboard, unpatrolled grids, ...
AREA_PEOPLE = frozenset(
    {"grid_a", "grid_b", "center_town", "center_town2", "center_district", "official", "mediator", "mediator2"}
    | {"legal", "admin"}
)
DISPUTE_REGISTRARS = frozenset(
    {"grid_a", "grid_b", "center_town", "center_town2", "center_district", "mediator", "mediator2"}
    | {"dept_judicial", "legal", "admin"}
)


@dataclass(frozen=True)
class Obj:
    """An in-scope object: who reads it, and text that only its readers may ever be shown."""

    readers: frozenset[str]
    markers: tuple[str, ...] = ()


# name -> (readers, markers); the builder (tests/test_scope_matrix.py) makes one of each in town 1.
OBJECTS: dict[str, Obj] = {
    "case": Obj(CASE_READERS, ("范围矩阵事项甲",)),
    "attachment": Obj(CASE_READERS),
    "dispute": Obj(DISPUTE_READERS, ("范围矩阵纠纷乙",)),
    "org": Obj(TERRITORY1),
    "area": Obj(TERRITORY1),
    "town1": Obj(TOWN1_STAFF),  # the town's totals: the area roles over the whole town
    "department": Obj(TERRITORY1),
    "category": Obj(SIGNED_IN),
    "resident": Obj(AREA_GRID1, ("范围矩阵居民",)),
    "household": Obj(AREA_GRID1, ("范围矩阵户址", "H-SM1")),
    "patrol": Obj(AREA_GRID1),
    "visit": Obj(AREA_GRID1),
    "follow_up": Obj(SENSITIVE),
    "notification": Obj(frozenset({"grid_a"}), ("范围矩阵通知",)),
    "report": Obj(REPORT_READERS),
    "screening": Obj(TOWN1_STAFF, ("范围矩阵排查",)),
    "consultation": Obj(LEGAL_READERS, ("范围矩阵咨询",)),
    "aid": Obj(LEGAL_READERS, ("范围矩阵援助",)),
    "law_event": Obj(LEGAL_READERS, ("范围矩阵普法",)),
    "savvy": Obj(LEGAL_READERS),  # a legal-savvy resident of village 1
    "adviser": Obj(LEGAL_READERS),  # village 1's legal adviser
    # A resident's report from /report/: staff read it by area; its tracking page is public by design
    # (the code is the key), so it has no marker of its own. Its caller's phone is the secret.
    "public_case": Obj(AREA_GRID1),
    # Identifiers, in full: only the roles that need them, in their own area (masked for the rest).
    "resident_identifiers": Obj(SENSITIVE),
    "applicant_identifiers": Obj(frozenset({"legal", "admin"})),
    "caller_phone": Obj(frozenset({"center_town", "center_district", "admin"})),
}


# --------------------------------------------------------------------------------------------------
# The declared registry


@dataclass(frozen=True)
class Rule:
    """How one route is scoped.

    access: "object" (a URL naming one object: out of scope reads 404), "list" (a list or a page
    showing objects: readers see the marker, nobody else does), "page" (a signed-in page or
    endpoint with no object of its own), "public" (no login needed). The admin has one rule of
    its own (`run_admin`). A path may have several rules: the same page about another object, or
    with filters that must not widen what the caller sees.
    ok: who succeeds (default: the object's readers; for a page, every signed-in persona).
    """

    path: str
    access: str
    obj: str | None = None
    methods: tuple[str, ...] = ("GET",)
    ok: frozenset[str] | None = None
    urls: Callable[[SimpleNamespace], list[str]] | None = None
    success: tuple[int, ...] = (200,)
    # Only for a document that is the same for everyone (never computed from the caller): fewer
    # personas keep the run short. Every route with data is asked as every persona.
    personas: tuple[str, ...] = tuple(PERSONAS)

    def winners(self) -> frozenset[str]:
        if self.ok is not None:
            return self.ok
        if self.obj:
            return OBJECTS[self.obj].readers
        return EVERYONE if self.access == "public" else SIGNED_IN

    def concrete(self, w: SimpleNamespace) -> list[str]:
        if self.urls is not None:
            return self.urls(w)
        if "{" not in self.path:
            return [self.path]
        return [self.path.format(pk=getattr(w, self.obj).pk)]


def _r(path, access, obj=None, methods=("GET",), ok=None, urls=None, success=(200,), personas=PERSONAS) -> Rule:
    ok = frozenset(ok) if ok is not None else None
    return Rule(path, access, obj, tuple(methods), ok, urls, tuple(success), tuple(personas))


def _actions(module: str) -> list[str]:
    from importlib import import_module

    return list(import_module(module).ACTION_NAMES)


def _referral_kinds() -> list[str]:
    from legal_services.targets import referral_kinds

    return referral_kinds()


def _registry_kinds() -> list[str]:
    from legal_services.views import _registry_specs

    return list(_registry_specs())


GET, POST, PATCH = "GET", "POST", "PATCH"
CENTERS = {"center_town", "center_district", "admin"}
LEGAL_WRITERS = {"legal", "admin"}

REGISTRY: list[Rule] = [
    # ---- governance: home, dashboard, accounts, language, the installable app
    _r("/", "page"),
    _r("/dashboard/", "page", ok=AREA_PEOPLE),
    _r("/dashboard/export.xlsx", "page", ok=AREA_PEOPLE),
    # Another area's totals, asked for by id: 404 unless an area role covers it.
    _r("/dashboard/", "object", "town1", urls=lambda w: [f"/dashboard/?area={w.town1.pk}"]),
    _r("/dashboard/export.xlsx", "object", "town1", urls=lambda w: [f"/dashboard/export.xlsx?area={w.town1.pk}"]),
    _r("/accounts/login/", "public", methods=(GET, POST)),
    _r("/accounts/logout/", "public", methods=(POST,), success=(200, 302)),
    _r("/accounts/password_change/", "page", methods=(GET, POST)),
    _r("/accounts/password_change/done/", "page"),
    _r("/accounts/password_reset/", "public", methods=(GET, POST)),
    _r("/accounts/password_reset/done/", "public"),
    _r(
        "/accounts/reset/{uidb64}/{token}/",
        "public",
        urls=lambda w: ["/accounts/reset/MQ/invalid-token/"],
        success=(200, 302),
    ),
    _r("/accounts/reset/done/", "public"),
    _r("/i18n/setlang/", "public", methods=(POST,), success=(302,)),
    _r("/manifest.webmanifest", "public"),
    _r("/sw.js", "public"),
    _r("/offline/", "public"),
    # ---- API: auth, self, dashboard, schema
    _r("/api/v1/", "page"),
    _r("/api/v1/.*/", "page", urls=lambda w: ["/api/v1/no-such-endpoint/"], ok=set(), success=(404,)),
    _r("/api/v1/auth/token/", "public", methods=(POST,), ok=set()),
    _r("/api/v1/auth/logout/", "page", methods=(POST,), success=(200, 204)),
    _r("/api/v1/auth/logoutall/", "page", methods=(POST,), success=(200, 204)),
    _r("/api/v1/me/", "page"),
    _r("/api/v1/dashboard/", "page", ok=AREA_PEOPLE),
    _r("/api/v1/dashboard/", "object", "town1", urls=lambda w: [f"/api/v1/dashboard/?area={w.town1.pk}"]),
    # The API's description is public: it documents endpoints, holds no data, and is generated
    # without the caller (SERVE_PUBLIC), so three personas stand for all (it takes ~1 s to build).
    _r("/api/v1/schema/", "public", personas=(ANONYMOUS, "outsider", "admin")),
    _r("/api/v1/docs/", "public"),
    _r(
        "/api/v1/map-features/",
        "page",
        ok=SIGNED_IN - {"outsider"},
        urls=lambda w: [f"/api/v1/map-features/?bbox={w.lng - 0.01},{w.lat - 0.01},{w.lng + 0.01},{w.lat + 0.01}"],
    ),
    # ---- API: territory and people
    _r("/api/v1/areas/", "list", "area"),
    _r("/api/v1/areas/locate/", "object", "area", urls=lambda w: [f"/api/v1/areas/locate/?lat={w.lat}&lng={w.lng}"]),
    _r("/api/v1/areas/{pk}/", "object", "area"),
    _r("/api/v1/departments/", "list", "department"),
    _r("/api/v1/departments/{pk}/", "object", "department"),
    _r("/api/v1/residents/", "list", "resident"),
    _r(
        "/api/v1/residents/",
        "list",
        "resident",
        urls=lambda w: [f"/api/v1/residents/?q={w.resident.id_number[-4:]}", f"/api/v1/residents/?q={w.resident.name}"],
    ),
    _r("/api/v1/residents/{pk}/", "object", "resident"),
    _r("/api/v1/notifications/", "list", "notification"),
    _r("/api/v1/notifications/read_all/", "page", methods=(POST,)),
    _r("/api/v1/notifications/{pk}/", "object", "notification"),
    _r("/api/v1/notifications/{pk}/read/", "object", "notification", methods=(POST,)),
    _r("/api/v1/patrols/", "list", "patrol", methods=(GET, POST)),
    _r("/api/v1/patrols/{pk}/", "object", "patrol"),
    _r("/api/v1/households/", "list", "household"),
    _r("/api/v1/households/{pk}/", "object", "household"),
    # ---- API: cases
    _r("/api/v1/categories/", "list", "category"),
    _r("/api/v1/categories/{pk}/", "object", "category"),
    _r("/api/v1/cases/", "list", "case", methods=(GET, POST)),
    _r(
        "/api/v1/cases/",
        "list",
        "case",
        urls=lambda w: [f"/api/v1/cases/?area={w.area.pk}", f"/api/v1/cases/?q={w.case.number}"],
    ),
    _r("/api/v1/cases/duplicates/", "list", "case", urls=lambda w: [w.duplicates_url]),
    _r("/api/v1/cases/{pk}/", "object", "case", methods=(GET, PATCH)),
    _r(
        "/api/v1/cases/{pk}/actions/{name}/",
        "object",
        "case",
        methods=(POST,),
        urls=lambda w: [f"/api/v1/cases/{w.case.pk}/actions/{a}/" for a in _actions("disputes.workflow")],
    ),
    _r("/api/v1/reports/", "list", "report"),
    _r("/api/v1/reports/{pk}/", "object", "report"),
    _r("/api/v1/reports/{pk}/xlsx/", "object", "report"),
    # ---- API: mediation
    _r("/api/v1/mediation-orgs/", "list", "org"),
    _r("/api/v1/mediation-orgs/{pk}/", "object", "org"),
    _r("/api/v1/disputes/", "list", "dispute", methods=(GET, POST)),
    _r("/api/v1/disputes/{pk}/", "object", "dispute"),
    _r(
        "/api/v1/disputes/{pk}/actions/{name}/",
        "object",
        "dispute",
        methods=(POST,),
        urls=lambda w: [
            f"/api/v1/disputes/{w.dispute.pk}/actions/{a}/" for a in _actions("disputes.mediation.workflow")
        ],
    ),
    _r("/api/v1/screenings/", "list", "screening", methods=(GET, POST)),
    # ---- API: legal services
    _r("/api/v1/legal/savvy-residents/", "list", "savvy", methods=(GET, POST)),
    _r("/api/v1/legal/advisers/", "list", "adviser", methods=(GET, POST)),
    _r("/api/v1/legal/service-points/", "page", ok=LEGAL_READERS),
    _r("/api/v1/legal/model-households/", "page", ok=LEGAL_READERS),
    _r("/api/v1/legal/events/", "list", "law_event", methods=(GET, POST)),
    _r("/api/v1/legal/consultations/", "list", "consultation", methods=(GET, POST)),
    _r("/api/v1/legal/consultations/{pk}/", "object", "consultation"),
    _r("/api/v1/legal/consultations/{pk}/answer/", "object", "consultation", methods=(POST,)),
    _r("/api/v1/legal/consultations/{pk}/refer/", "object", "consultation", methods=(POST,)),
    _r("/api/v1/legal/aid/", "list", "aid", methods=(GET, POST)),
    _r("/api/v1/legal/aid/{pk}/", "object", "aid"),
    _r(
        "/api/v1/legal/aid/{pk}/actions/{name}/",
        "object",
        "aid",
        methods=(POST,),
        urls=lambda w: [f"/api/v1/legal/aid/{w.aid.pk}/actions/{a}/" for a in _actions("legal_services.workflow")],
    ),
    # ---- pages: territory, people, notifications
    _r("/areas/", "list", "area", success=(200, 302)),
    _r("/areas/{pk}/", "object", "area"),
    _r("/areas/{pk}/team/", "object", "area"),
    _r("/residents/", "list", "resident"),
    _r("/residents/", "list", "resident", urls=lambda w: [f"/residents/?q={w.resident.name}"]),
    _r("/residents/{pk}/", "object", "resident"),
    _r("/residents/{pk}/edit/", "object", "resident", methods=(GET, POST), ok=REGISTRARS),
    _r("/residents/{pk}/follow-up/", "object", "resident", methods=(POST,), ok=SENSITIVE),
    _r("/notifications/", "list", "notification"),
    _r("/notifications/{pk}/open/", "object", "notification", methods=(POST,)),
    # ---- pages: field work
    _r("/patrols/", "list", "patrol"),
    _r("/patrols/start/", "page", methods=(POST,), ok=GRID_WORKERS),
    _r("/patrols/unpatrolled/", "page", ok=AREA_PEOPLE - {"admin"}),
    _r("/patrols/{pk}/", "object", "patrol"),
    _r("/patrols/{pk}/track/", "object", "patrol", methods=(POST,), ok={"grid_a"}),
    _r("/patrols/{pk}/end/", "object", "patrol", methods=(POST,), ok={"grid_a"}),
    _r("/patrols/{pk}/visit/", "object", "patrol", methods=(GET, POST), ok={"grid_a"}),
    _r("/visits/{pk}/photo/", "object", "visit"),
    _r("/households/", "list", "household"),
    _r("/households/new/", "page", methods=(GET, POST), ok=GRID_WORKERS),
    _r("/households/{pk}/", "object", "household"),
    _r("/households/{pk}/edit/", "object", "household", methods=(GET, POST), ok=REGISTRARS),
    _r("/households/{pk}/residents/new/", "object", "household", methods=(GET, POST), ok=REGISTRARS),
    _r("/households/{pk}/visit/", "object", "household", methods=(GET, POST), ok=SENSITIVE),
    _r("/follow-ups/", "list", "follow_up", urls=lambda w: ["/follow-ups/"]),
    # ---- pages: cases
    _r("/cases/", "list", "case", urls=lambda w: ["/cases/?tab=visible", f"/cases/?tab=visible&q={w.case.number}"]),
    _r(
        "/cases/new/",
        "page",
        methods=(GET, POST),
        ok={"grid_a", "grid_b", "center_town", "center_town2", "center_district", "legal", "admin"},
    ),
    _r("/cases/hotline/", "page", methods=(GET, POST), ok={"center_town", "center_town2", "center_district", "admin"}),
    _r("/cases/{pk}/", "object", "case"),
    _r("/cases/{pk}/", "object", "public_case"),  # the same page for a resident's report, with its caller
    _r(
        "/cases/{pk}/actions/{action}/",
        "object",
        "case",
        methods=(POST,),
        urls=lambda w: [f"/cases/{w.case.pk}/actions/{a}/" for a in _actions("disputes.workflow")],
    ),
    _r("/attachments/{token}/", "object", "attachment", urls=lambda w: [f"/attachments/{w.attachment.token}/"]),
    _r("/report/", "public", methods=(GET, POST)),
    _r(
        "/track/{code}/",
        "public",
        urls=lambda w: [f"/track/{w.tracking_code}/", "/track/no-such-code/"],
        success=(200, 404),
    ),
    # ---- pages: mediation
    _r("/disputes/", "list", "dispute", urls=lambda w: ["/disputes/?tab=all"]),
    _r("/disputes/new/", "page", methods=(GET, POST), ok=DISPUTE_REGISTRARS),
    _r("/disputes/{pk}/", "object", "dispute"),
    _r(
        "/disputes/{pk}/actions/{action}/",
        "object",
        "dispute",
        methods=(POST,),
        urls=lambda w: [f"/disputes/{w.dispute.pk}/actions/{a}/" for a in _actions("disputes.mediation.workflow")],
    ),
    _r("/disputes/{pk}/agreement/", "object", "dispute"),
    _r("/disputes/{pk}/agreement.docx", "object", "dispute"),
    _r("/disputes/{pk}/file/", "object", "dispute"),
    _r("/disputes/{pk}/file.docx", "object", "dispute"),
    _r("/mediation-orgs/", "list", "org"),
    _r("/mediation-orgs/{pk}/", "object", "org"),
    _r("/screenings/", "list", "screening", methods=(GET, POST)),
    # ---- pages: reports
    _r("/reports/", "list", "report"),
    _r("/reports/generate/", "page", methods=(GET, POST), ok=REPORT_READERS | {"center_town2"}),
    _r("/reports/generate/progress/", "page", ok=set()),
    _r("/reports/generate/status/", "page", ok=set()),
    _r("/reports/{pk}/", "object", "report"),
    _r("/reports/{pk}/xlsx/", "object", "report"),
    # ---- pages: legal services
    _r("/legal/", "page", ok=LEGAL_READERS),
    _r("/legal/consultations/", "list", "consultation"),
    _r("/legal/consultations/new/", "page", methods=(GET, POST), ok=LEGAL_WRITERS),
    _r("/legal/consultations/{pk}/", "object", "consultation"),
    _r("/legal/consultations/{pk}/answer/", "object", "consultation", methods=(POST,), ok=LEGAL_WRITERS),
    _r(
        "/legal/consultations/{pk}/refer/{kind}/",
        "object",
        "consultation",
        methods=(POST,),
        ok=LEGAL_WRITERS,
        urls=lambda w: [f"/legal/consultations/{w.consultation.pk}/refer/{k}/" for k in _referral_kinds()],
    ),
    _r("/legal/aid/", "list", "aid"),
    _r("/legal/aid/new/", "page", methods=(GET, POST), ok=LEGAL_WRITERS),
    _r("/legal/aid/{pk}/", "object", "aid"),
    _r(
        "/legal/aid/{pk}/actions/{action}/",
        "object",
        "aid",
        methods=(POST,),
        urls=lambda w: [f"/legal/aid/{w.aid.pk}/actions/{a}/" for a in _actions("legal_services.workflow")],
    ),
    _r("/legal/events/", "list", "law_event"),
    _r("/legal/events/new/", "page", methods=(GET, POST), ok=LEGAL_WRITERS),
    _r("/legal/events/calendar/", "list", "law_event"),
    _r("/legal/registry/savvy/new/", "page", methods=(GET, POST), ok=LEGAL_WRITERS),
    _r("/legal/registry/savvy/{pk}/", "object", "savvy"),
    _r("/legal/registry/savvy/{pk}/", "object", "savvy", methods=(POST,), ok=LEGAL_WRITERS),  # a training
    _r("/legal/registry/advisers/{pk}/", "object", "adviser"),
    _r("/legal/registry/advisers/{pk}/", "object", "adviser", methods=(POST,), ok=LEGAL_WRITERS),  # a log
    # 转法律援助 from a case or a dispute: legal-services staff over its area, among those who see it.
    _r(
        "/refer/{kind}/{pk}/aid/",
        "object",
        "case",
        methods=(GET, POST),
        ok=LEGAL_WRITERS,
        urls=lambda w: [f"/refer/case/{w.case.pk}/aid/"],
    ),
    _r(
        "/refer/{kind}/{pk}/aid/",
        "object",
        "dispute",
        methods=(GET, POST),
        ok=LEGAL_WRITERS,
        urls=lambda w: [f"/refer/dispute/{w.dispute.pk}/aid/"],
    ),
    _r("/legal/lessons/", "page", ok=LEGAL_READERS),
    _r("/legal/lessons/new/", "page", methods=(GET, POST), ok=LEGAL_WRITERS),
    _r(
        "/legal/registry/{kind}/",
        "page",
        ok=LEGAL_READERS,
        urls=lambda w: [f"/legal/registry/{k}/" for k in _registry_kinds()],
    ),
    # ---- Open311 GeoReport v2: public by the standard (published cases only)
    _r("/open311/v2/", "public", success=(404,)),
    _r("/open311/v2/discovery.{fmt}", "public", urls=lambda w: ["/open311/v2/discovery.json"]),
    _r("/open311/v2/services.{fmt}", "public", urls=lambda w: ["/open311/v2/services.json"]),
    _r("/open311/v2/services/{code}.{fmt}", "public", urls=lambda w: ["/open311/v2/services/road_damage.json"]),
    _r("/open311/v2/requests.{fmt}", "public", urls=lambda w: ["/open311/v2/requests.json"]),
    _r(
        "/open311/v2/requests/{request_id}.{fmt}",
        "public",
        urls=lambda w: [f"/open311/v2/requests/{w.open311_number}.json", f"/open311/v2/requests/{w.case.number}.json"],
        success=(200, 404),
    ),
    _r(
        "/open311/v2/tokens/{token}.{fmt}",
        "public",
        urls=lambda w: [f"/open311/v2/tokens/{w.open311_token}.json"],
    ),
    _r("/open311/v2/servicerequestupdates.{fmt}", "public", urls=lambda w: ["/open311/v2/servicerequestupdates.json"]),
    _r("/open311/v2/{rest}.{fmt}", "public", urls=lambda w: ["/open311/v2/nothing.json"], success=(404,)),
    _r("/open311/v2/{rest}", "public", urls=lambda w: ["/open311/v2/nothing"], success=(404,)),
]

# The Django admin: one rule for every admin URL. Staff only: everyone else is sent to its login.
ADMIN_PREFIX = "/admin/"


# --------------------------------------------------------------------------------------------------
# What exists: the resolver's routes and the schema's operations

_FORMAT = "{FORMAT}"


def _normalize(pattern: str) -> str:
    s = pattern.replace("^", "").replace("$", "")
    s = re.sub(r"\\\.\(\?P<format>[^)]*\)/\?", _FORMAT, s)
    s = s.replace("<drf_format_suffix:format>", _FORMAT)
    s = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", s)
    s = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", s)
    s = s.replace("\\.", ".")
    return "/" + s


def _walk(resolver: URLResolver, prefix: str = "") -> Iterable[str]:
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def resolver_routes(urlconf=None) -> list[str]:
    """Every route of the URL configuration, normalized (`/cases/{pk}/`); format-suffix variants
    (`/api/v1/cases/{pk}.json`) fold onto their base route, which must exist."""
    routes = [_normalize(p) for p in _walk(get_resolver(urlconf))]
    plain = [r for r in routes if _FORMAT not in r]
    for r in routes:
        if _FORMAT in r:
            base = r.replace(_FORMAT, "/").replace("//", "/")
            assert base in plain, f"format-suffix route {r} has no base route {base}"
    return sorted(set(plain))


def openapi_operations() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    ops = []
    for path, item in schema["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                ops.append((method.upper(), path.replace("{id}", "{pk}")))
    return sorted(ops)


def uncovered(routes: list[str], operations: list[tuple[str, str]], registry: list[Rule] = REGISTRY) -> list[str]:
    """Routes and operations the registry does not declare, as messages for the developer."""
    declared: dict[str, set[str]] = {}
    for rule in registry:
        declared.setdefault(rule.path, set()).update(rule.methods)
    missing = []
    for route in routes:
        if route.startswith(ADMIN_PREFIX):
            continue
        if route not in declared:
            missing.append(
                f"route {route} has no declared scope: add a Rule for it to tests/scope_matrix.py's REGISTRY "
                "(which object it shows, who may see it, what others get)"
            )
    for method, path in operations:
        if method not in declared.get(path, ()):
            missing.append(
                f"OpenAPI operation {method} {path} has no declared scope: add {method} to its Rule's methods "
                "in tests/scope_matrix.py's REGISTRY"
            )
    stale = sorted(set(declared) - set(routes))
    missing += [f"REGISTRY declares {p}, which the resolver no longer has: remove it" for p in stale]
    return missing


# --------------------------------------------------------------------------------------------------
# Running it


@dataclass
class Outcome:
    checks: int = 0
    requests: int = 0
    leaks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    shown: set[str] = field(default_factory=set)  # markers some reader was shown: none is vacuous


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login/" in response.get("Location", "")


def _body(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    ctype = response.get("Content-Type", "").split(";")[0]
    textual = ctype.startswith("text/") or ctype.endswith(("/json", "+json", "/xml", "/javascript"))
    if not textual:  # XLSX and DOCX are zipped: their status is checked, not their text
        return ""
    text = content.decode("utf-8", "replace")
    if "json" in ctype and "\\u" in text:  # a JSON body with escaped characters: read it as data
        try:
            text = json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    return text


def _listed_ids(body: str) -> set:
    """The ids of an API list's rows (paginated or a bare array)."""
    try:
        data = json.loads(body)
    except ValueError:
        return set()
    rows = data.get("results", []) if isinstance(data, dict) else data
    return {row.get("id") for row in rows if isinstance(row, dict)}


def _snapshot(obj) -> dict:
    obj.refresh_from_db()
    return model_to_dict(obj)


def _send(client: Client, method: str, url: str, *, api: bool):
    if method == GET:
        return client.get(url)
    if api:
        return client.generic(method, url, data="{}", content_type="application/json")
    return getattr(client, method.lower())(url, {})


def run(w: SimpleNamespace, clients: dict[str, Client], registry: list[Rule] = REGISTRY) -> Outcome:
    out = Outcome()
    for rule in registry:
        api = rule.path.startswith("/api/")
        obj = OBJECTS[rule.obj] if rule.obj else None
        instance = getattr(w, rule.obj) if rule.obj else None
        for url in rule.concrete(w):
            for method in rule.methods:
                for persona in rule.personas:
                    out.checks += 1
                    where = f"{method} {url} as {persona}"
                    with transaction.atomic():
                        before = (
                            _snapshot(instance)
                            if method != GET and obj and persona not in obj.readers and instance is not None
                            else None
                        )
                        client = clients[persona]
                        cookies = copy.deepcopy(client.cookies)  # a logout or password change ends no session
                        response = _send(client, method, url, api=api)
                        client.cookies = cookies
                        out.requests += 1
                        body = _body(response)
                        after = _snapshot(instance) if before is not None else None
                        transaction.set_rollback(True)
                    shown = markers(rule.obj, w) if rule.obj else ()
                    if api:  # JSON carries ids, not links to pages
                        shown = tuple(m for m in shown if not _is_link(m))
                    shown = tuple(m for m in shown if m.strip('"') not in unquote(url))  # not the query echoed
                    out.problems += _judge(rule, obj, shown, persona, method, response, body, where, before, after)
                    out.leaks += _leaks(persona, body, where, w, url)
                    out.shown |= {
                        m for name in OBJECTS if persona in OBJECTS[name].readers for m in markers(name, w) if m in body
                    }
                    if api and rule.access == "list" and method == GET and response.status_code == 200:
                        listed = instance.pk in _listed_ids(body)
                        if persona in obj.readers and persona in rule.winners() and not listed:
                            out.problems.append(
                                f"{where}: the list does not hold the in-scope {rule.obj} {instance.pk}"
                            )
                        if persona not in obj.readers and listed:
                            out.leaks.append(f"{where}: LEAK: the list holds {rule.obj} {instance.pk}")
    return out


def _judge(rule: Rule, obj: Obj | None, shown, persona: str, method: str, response, body, where, before, after):
    status = response.status_code
    problems: list[str] = []
    if status >= 500:
        return [f"{where}: server error {status}"]
    if before != after:
        problems.append(f"{where}: changed an object the persona cannot see")
    winners = rule.winners()
    api = rule.path.startswith("/api/")
    if rule.access != "public" and persona == ANONYMOUS:
        if api and status not in (401, 403, 404):
            problems.append(f"{where}: anonymous got {status}, expected 401/403")
        if not api and not _is_login_redirect(response) and status not in (403, 404, 405):
            problems.append(f"{where}: anonymous got {status}, expected a redirect to the login")
        return problems
    if rule.access == "object" and obj is not None and persona not in obj.readers:
        if status != 404:
            problems.append(f"{where}: out of scope must read as 404, got {status}")
        return problems
    if persona in winners:
        if method == GET and status not in rule.success:
            problems.append(f"{where}: expected {rule.success}, got {status}")
        if method == GET and rule.access == "list" and shown and status == 200:
            if not any(_shows(body, m) for m in shown):
                problems.append(f"{where}: the list does not show the in-scope object (markers {shown})")
        if method == GET and rule.access == "object" and shown and body:
            if not any(_shows(body, m) for m in shown):
                problems.append(f"{where}: the page does not show its object (markers {shown})")
        if method != GET and rule.access == "object" and status == 404:
            problems.append(f"{where}: an in-scope persona got 404")
    elif method == GET and rule.access in ("object", "page") and status == 200:
        problems.append(f"{where}: expected a refusal (403/404), got 200")
    return problems


def markers(name: str, w: SimpleNamespace) -> tuple[str, ...]:
    """The object's text: its declared markers and the numbers the services gave it."""
    return OBJECTS[name].markers + tuple(getattr(w, "numbers", {}).get(name, ()))


def _is_link(marker: str) -> bool:
    return marker.startswith('"/')


def _leaks(persona: str, body: str, where: str, w: SimpleNamespace, url: str) -> list[str]:
    if not body:
        return []
    asked = unquote(url)
    return [
        f"{where}: LEAK of {name} (marker {marker!r})"
        for name, obj in OBJECTS.items()
        if persona not in obj.readers
        for marker in markers(name, w)
        # What the caller sent is no leak: a search box shows its query, an error page its URL.
        if marker.strip('"') not in asked and _shows(body, marker)
    ]


def _shows(body: str, marker: str) -> bool:
    """The marker as a whole word: case 20261130-0001 is not inside dispute TJ20261130-0001."""
    return marker in body and re.search(rf"(?<![A-Za-z0-9-]){re.escape(marker)}(?![A-Za-z0-9-])", body) is not None


def run_admin(clients: dict[str, Client], urls: list[str]) -> Outcome:
    """Every admin page without an id: staff get it, everyone else goes to the admin's login."""
    out = Outcome()
    for url in urls:
        for persona in PERSONAS:
            out.checks += 1
            response = clients[persona].get(url)
            out.requests += 1
            where = f"GET {url} as {persona}"
            if response.status_code >= 500:
                out.problems.append(f"{where}: server error {response.status_code}")
            elif persona == "admin":
                if response.status_code != 200:
                    out.problems.append(f"{where}: the superuser got {response.status_code}")
            elif not _is_login_redirect(response) and response.status_code not in (403, 404):
                out.problems.append(f"{where}: a non-staff persona got {response.status_code}")
    return out
