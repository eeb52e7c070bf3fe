"""Schemathesis over the whole /api/v1/ schema, as several roles (issue 18).

Every operation in the OpenAPI schema is fuzzed in-process (WSGI) on the seeded demo district, as
each of ROLES with a real knox token from `POST /api/v1/auth/token/`. Half the cases are valid
data, half invalid (schemathesis' negative mode). Path ids are drawn mostly from objects that exist
(so the fuzz reaches the views' real paths, not only their 404s). Each answer must:

- not be a server error (5xx);
- have a status code the schema documents for the operation;
- have the documented content type and match the documented response schema (and headers).

Not in `make test` (marker `fuzz`): `make fuzz` runs it and prints
`fuzz: N requests as R roles, 0 server errors, 0 schema violations`. FUZZ_EXAMPLES sets the
examples per operation and role; FUZZ_SEED the Hypothesis seed (fixed by default, so a CI failure
can be reproduced).
"""

from __future__ import annotations

import io
import logging
import os
import random
import time
import traceback
from collections import Counter

import pytest
import schemathesis
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.test import Client, override_settings
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

# Demo logins (governance/demo.py): a grid worker, town-center staff, a police station, a mediator,
# legal-services staff and the district's read-only official.
ROLES = ("grid_a", "center_town", "dept_police", "mediator", "legal", "official")
MIN_REQUESTS = 5000
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 16))
SEED = int(os.environ.get("FUZZ_SEED", 18))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Which model a path's {id} names, so that most drawn ids exist.
ID_SOURCES = {
    "/api/v1/areas/": "grids.Area",
    "/api/v1/cases/": "disputes.Case",
    "/api/v1/categories/": "disputes.Category",
    "/api/v1/departments/": "grids.Department",
    "/api/v1/disputes/": "disputes.Dispute",
    "/api/v1/households/": "grids.Household",
    "/api/v1/legal/aid/": "legal_services.AidApplication",
    "/api/v1/legal/consultations/": "legal_services.Consultation",
    "/api/v1/mediation-orgs/": "disputes.MediationOrg",
    "/api/v1/notifications/": "grids.Notification",
    "/api/v1/patrols/": "grids.Patrol",
    "/api/v1/reports/": "governance.Report",
    "/api/v1/residents/": "grids.Resident",
}


def _id_pools() -> dict[str, list[int]]:
    from django.apps import apps

    pools = {}
    for prefix, label in ID_SOURCES.items():
        model = apps.get_model(label)
        ids = list(model.objects.order_by("id").values_list("id", flat=True))
        # Spread over the table: its first and last rows and a random sample in between.
        rng = random.Random(SEED)
        pools[prefix] = sorted(set(ids[:20] + ids[-20:] + rng.sample(ids, min(len(ids), 60))))
    return pools


def _pool_for(path: str, pools: dict[str, list[int]]) -> list[int]:
    for prefix, ids in pools.items():
        if path.startswith(prefix + "{id}"):
            return ids
    return []


@pytest.fixture
def seeded():
    from datetime import timedelta

    from django.utils import timezone

    from governance.reports.generation import generate_reports
    from grids.models import User
    from tests.factories import NotificationFactory

    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())
    # What the demo seed leaves out: reports (last week's and last month's) and notifications.
    today = timezone.localdate()
    last_monday = today - timedelta(days=today.weekday() + 7)
    generate_reports(kind="weekly", start=last_monday)
    generate_reports(kind="monthly", start=(today.replace(day=1) - timedelta(days=1)).replace(day=1))
    for user in User.objects.filter(username__in=ROLES):
        NotificationFactory.create_batch(5, recipient=user)


def _token(username: str) -> str:
    from django.conf import settings as django_settings

    answer = Client().post(
        "/api/v1/auth/token/",
        {"username": username, "password": django_settings.DEMO_PASSWORD},
        content_type="application/json",
    )
    assert answer.status_code == 200, (username, answer.status_code, answer.content[:300])
    return answer.json()["token"]


class ServerErrorLog(logging.Handler):
    """Keeps the traceback of the last request that ended in a server error (django.request logs it)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.last = ""

    def emit(self, record):
        if record.exc_info:
            self.last = "".join(traceback.format_exception(*record.exc_info))[-4000:]


class Tally:
    def __init__(self):
        self.requests = 0
        self.by_status = Counter()
        self.failures: dict[tuple[str, str], str] = {}  # (operation, check title) → first report
        self.server_errors = 0
        self.violations = 0

    def record(self, label: str, role: str, group: FailureGroup, server_traceback: str = "") -> None:
        for failure in group.exceptions:
            assert isinstance(failure, Failure)
            if "server error" in failure.title.lower():
                self.server_errors += 1
            else:
                self.violations += 1
            key = (label, failure.title)
            if key not in self.failures:
                self.failures[key] = f"[{role}] {group.message[:3000]}\n{server_traceback}"


def _fuzz_operation(operation, role: str, token: str, pools, tally: Tally, errors: ServerErrorLog) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    ids = _pool_for(operation.path, pools)
    is_logout = operation.path.startswith("/api/v1/auth/logout")

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=False,
    )
    @seed(SEED)
    @given(case=strategy, data=st.data())
    def run(case, data):
        if ids and "id" in (case.path_parameters or {}) and data.draw(st.integers(0, 9), label="existing") < 8:
            case.path_parameters["id"] = str(data.draw(st.sampled_from(ids), label="id"))
        # Signing out revokes the token it is sent with: those calls get a token of their own.
        headers = {"Authorization": f"Token {_token(role) if is_logout else token}"}
        if not is_logout and operation.path.startswith("/api/v1/auth/token"):
            headers = {}
        errors.last = ""
        response = case.call(headers=headers)
        tally.requests += 1
        tally.by_status[response.status_code // 100 * 100] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            tally.record(label, role, group, errors.last if response.status_code >= 500 else "")

    run()


def test_the_whole_api_survives_fuzzing_as_every_role(seeded):
    started = time.monotonic()
    pools = _id_pools()
    app = get_wsgi_application()  # sets up logging again: quieten it after
    # 4xx answers are the point of negative fuzzing: the log keeps server errors only.
    for name in ("django.request", "axes"):
        logging.getLogger(name).setLevel(logging.ERROR)
    tokens = {role: _token(role) for role in ROLES}
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/", app, headers={"Authorization": f"Token {tokens['center_town']}"}
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50, "the schema lost its operations"
    assert not any(op.path.startswith("/open311") for op in operations)
    # A new detail route needs its model here, or the fuzz would only ever see its 404.
    without_ids = sorted({op.path for op in operations if "{id}" in op.path and not _pool_for(op.path, pools)})
    assert not without_ids, f"no existing ids for {without_ids}: add them to ID_SOURCES"
    tally = Tally()
    errors = ServerErrorLog()
    logging.getLogger("django.request").addHandler(errors)
    for role in ROLES:
        for operation in operations:
            # logoutall would revoke this role's token for the rest of the run: it goes last.
            if operation.path == "/api/v1/auth/logoutall/":
                continue
            _fuzz_operation(operation, role, tokens[role], pools, tally, errors)
    for role in ROLES:
        for operation in operations:
            if operation.path == "/api/v1/auth/logoutall/":
                _fuzz_operation(operation, role, tokens[role], pools, tally, errors)
    elapsed = time.monotonic() - started
    statuses = ", ".join(f"{code // 100}xx {n:,}" for code, n in sorted(tally.by_status.items()))
    print(
        f"\nfuzz: {tally.requests:,} requests as {len(ROLES)} roles, {tally.server_errors} server errors, "
        f"{tally.violations} schema violations ({len(operations)} operations; {statuses}; {elapsed:.0f}s)"
    )
    for (label, title), report in sorted(tally.failures.items()):
        print(f"\n--- {label}: {title}\n{report}")
    assert tally.requests >= MIN_REQUESTS, f"only {tally.requests} requests were sent"
    assert not tally.failures, f"{len(tally.failures)} distinct failures (see above)"
