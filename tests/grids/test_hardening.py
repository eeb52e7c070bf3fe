"""Issue 18 (hardening), the grids part: masked digits stay unsearchable, unmasked views and
sign-ins are audited, the lockout is keyed on the username, tokens are per device, expire and are
revoked, the JSON parser caps size and depth, and ID numbers and phones are validated on the model."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from grids.models import AuditEvent, AuditKind, Resident
from tests.conftest import PASSWORD
from tests.grids.conftest import make_resident

pytestmark = pytest.mark.django_db

API = "/api/v1"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# ---------------------------------------------------------------- defect 1: masked digits


@pytest.mark.parametrize("persona", ["official", "mediator", "legal"])
def test_masked_numbers_cannot_be_recovered_by_extending_a_suffix(world, residents, api, persona):
    """The attack: extend a known suffix one digit at a time until the whole number comes back."""
    a = residents["a"]
    client = api(getattr(world, persona))
    for length in range(5, len(a.id_number) + 1):
        assert ids(client.get(f"{API}/residents/", {"q": a.id_number[-length:]})) == set(), length
    for length in range(5, len(a.phone) + 1):
        assert ids(client.get(f"{API}/residents/", {"q": a.phone[-length:]})) == set(), length
    # Prefixes and the middle are no better.
    assert ids(client.get(f"{API}/residents/", {"q": a.phone[:7]})) == set()
    assert ids(client.get(f"{API}/residents/", {"q": a.id_number[:10]})) == set()
    # What they do see (the last four digits) still finds the resident.
    assert a.pk in ids(client.get(f"{API}/residents/", {"q": a.phone[-4:]}))


def test_the_resident_page_search_has_the_same_rule(world, residents, browser_client):
    a = residents["a"]
    page = browser_client(world.official)
    for query in (a.phone, a.phone[-7:], a.id_number, a.id_number[-8:]):
        response = page.get(reverse("resident_list"), {"q": query})
        assert response.status_code == 200
        assert response.context["rows"] == [], query
    center = browser_client(world.center_town)
    response = center.get(reverse("resident_list"), {"q": a.id_number})
    assert [r.resident.pk for r in response.context["rows"]] == [a.pk]


def test_whole_numbers_are_found_only_within_the_unmasked_scope(world, residents, api):
    b = make_resident(world.t.micro_of(world.t.grids[2])[0], name="钱七", phone="13800001111")
    # center_town sees town 1 unmasked; b lives in town 2.
    assert ids(api(world.center_town).get(f"{API}/residents/", {"q": b.phone})) == set()
    assert ids(api(world.center_district).get(f"{API}/residents/", {"q": b.phone})) == {b.pk}
    assert ids(api(world.center_district).get(f"{API}/residents/", {"q": b.id_number})) == {b.pk}
    # A longer suffix is not a well-defined match, even for those who see the number.
    assert ids(api(world.center_district).get(f"{API}/residents/", {"q": b.phone[-6:]})) == set()


def test_unmasked_views_are_audited_and_masked_ones_are_not(world, residents, api, browser_client):
    a = residents["a"]
    api(world.center_town).get(f"{API}/residents/")
    api(world.center_town).get(f"{API}/residents/{a.pk}/")
    browser_client(world.center_town).get(reverse("resident_detail", args=[a.pk]))
    browser_client(world.center_town).get(reverse("resident_list"))
    seen = AuditEvent.objects.filter(kind=AuditKind.UNMASKED_VIEW, actor=world.center_town)
    assert set(seen.values_list("subject_id", flat=True)) == {str(a.pk), str(residents["town1"].pk)}
    assert seen.filter(subject_id=str(a.pk)).count() == 4
    assert {e.data["via"] for e in seen} == {"api", "page"}
    event = seen.first()
    assert event.subject_type == "grids.resident" and event.created_at is not None

    api(world.official).get(f"{API}/residents/")
    browser_client(world.official).get(reverse("resident_detail", args=[a.pk]))
    assert not AuditEvent.objects.filter(kind=AuditKind.UNMASKED_VIEW, actor=world.official).exists()


def test_audit_events_are_immutable(world):
    event = AuditEvent.objects.create(kind=AuditKind.LOGIN, actor=world.grid_a, username="grid_a")
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(username="x")


# ---------------------------------------------------------------- defect 3: nested JSON, body cap


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


@pytest.mark.parametrize("depth", [50, 100_000])
def test_deeply_nested_json_is_a_400_even_without_login(world, depth):
    response = APIClient().post(f"{API}/auth/token/", nested(depth), content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_nan_and_infinity_are_not_json(world):
    body = b'{"username": NaN, "password": Infinity}'
    response = APIClient().post(f"{API}/auth/token/", body, content_type="application/json")
    assert response.status_code == 400


def test_an_oversized_json_body_is_a_413_in_json(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"username": "grid_a", "password": "x" * 20_000}).encode()
    response = APIClient().post(f"{API}/auth/token/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")


def test_a_body_without_length_is_capped_while_read(world, settings):
    """The parser reads at most the cap, even when no Content-Length announced the size."""
    import io

    from grids.api_base import JSONParser, PayloadTooLarge

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    with pytest.raises(PayloadTooLarge):
        JSONParser().parse(io.BytesIO(b'{"a": "' + b"x" * 5000 + b'"}'))
    assert JSONParser().parse(io.BytesIO(b'{"a": [[1]]}')) == {"a": [[1]]}


# ---------------------------------------------------------------- defect 5: lockout and audit


def token(username: str, password: str, ip: str = "10.0.0.1"):
    return APIClient(REMOTE_ADDR=ip).post(
        f"{API}/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_token_endpoint_locks_the_username_not_the_office(world, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert token("grid_a", "wrong").status_code == 400
    assert token("grid_a", "wrong").status_code == 429  # the limit-th failure locks
    # Locked: even the right password is refused for a while, as JSON.
    locked = token("grid_a", PASSWORD)
    assert locked.status_code == 429
    assert "detail" in locked.json()
    # The rest of the office, behind the same NAT address, signs in as usual.
    assert token("center_town", PASSWORD).status_code == 200
    # The same username from another address is still locked: the key is the username.
    assert token("grid_a", PASSWORD, ip="10.9.9.9").status_code == 429
    # After the cool-off it works again.
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        assert token("grid_a", PASSWORD).status_code == 200


def test_login_page_locks_the_username_too(world, settings):
    client = Client(REMOTE_ADDR="10.0.0.2")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "grid_b", "password": "wrong"})
        assert response.status_code == 200
    assert client.post(reverse("login"), {"username": "grid_b", "password": "wrong"}).status_code == 429
    response = client.post(reverse("login"), {"username": "grid_b", "password": PASSWORD})
    assert response.status_code == 429
    assert 'data-testid="lockout"' in response.content.decode()
    # A colleague at the same address.
    response = client.post(reverse("login"), {"username": "grid_a", "password": PASSWORD})
    assert response.status_code == 302


def test_logins_and_failed_logins_are_audited(world):
    token("grid_a", "wrong")
    token("grid_a", PASSWORD)
    Client().post(reverse("login"), {"username": "nobody", "password": "x"})
    Client().post(reverse("login"), {"username": "grid_b", "password": PASSWORD})
    failed = AuditEvent.objects.filter(kind=AuditKind.LOGIN_FAILED)
    assert {(e.username, e.data["via"]) for e in failed} == {("grid_a", "api"), ("nobody", "page")}
    logins = AuditEvent.objects.filter(kind=AuditKind.LOGIN)
    assert {(e.actor.username, e.data["via"]) for e in logins} == {("grid_a", "api"), ("grid_b", "page")}
    assert AuditEvent.objects.filter(kind=AuditKind.TOKEN_ISSUED, actor=world.grid_a).count() == 1


def test_password_validators_refuse_weak_passwords(world):
    from django.contrib.auth.password_validation import validate_password

    for weak in ("12345678901", "password123", "grid_a2026", "short1!"):
        with pytest.raises(ValidationError):
            validate_password(weak, world.grid_a)
    validate_password("晨光-网格-巡查-2026", world.grid_a)


# ---------------------------------------------------------------- defect 6: per-device tokens


def signed_in(username: str) -> APIClient:
    response = token(username, PASSWORD)
    assert response.status_code == 200 and set(response.json()) == {"token"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_logout_revokes_only_this_devices_token(world):
    phone, desk = signed_in("grid_a"), signed_in("grid_a")
    assert phone.get(f"{API}/me/").status_code == 200
    assert phone.post(f"{API}/auth/logout/").status_code == 204
    assert phone.get(f"{API}/me/").status_code == 401
    assert desk.get(f"{API}/me/").status_code == 200
    assert AuditEvent.objects.filter(kind=AuditKind.TOKEN_REVOKED, actor=world.grid_a).count() == 1


def test_logoutall_revokes_every_device(world):
    phone, desk = signed_in("grid_a"), signed_in("grid_a")
    other = signed_in("grid_b")
    assert desk.post(f"{API}/auth/logoutall/").status_code == 204
    assert phone.get(f"{API}/me/").status_code == 401
    assert desk.get(f"{API}/me/").status_code == 401
    assert other.get(f"{API}/me/").status_code == 200


def test_an_idle_token_expires(world, settings):
    client = signed_in("grid_a")
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    with time_machine.travel(timezone.now() + ttl - timedelta(minutes=5)):
        assert client.get(f"{API}/me/").status_code == 200  # used: the TTL starts again
    with time_machine.travel(timezone.now() + ttl + ttl - timedelta(minutes=20)):
        assert client.get(f"{API}/me/").status_code == 200
    with time_machine.travel(timezone.now() + 3 * ttl + timedelta(hours=1)):
        assert client.get(f"{API}/me/").status_code == 401


def test_tokens_are_stored_hashed(world):
    from knox.models import AuthToken

    response = token("grid_a", PASSWORD)
    raw = response.json()["token"]
    stored = AuthToken.objects.get(user=world.grid_a)
    assert raw not in {stored.digest, stored.token_key}


# ---------------------------------------------------------------- defect 8: ID numbers on the model


INVALID_IDS = ["110101199003070000", "12345", "110101199013070015", "11010119900307ABCD", "110101199003O7001X"]


@pytest.mark.parametrize("bad", INVALID_IDS)
def test_the_model_refuses_invalid_id_numbers(world, bad):
    resident = Resident(name="测试", id_number=bad, micro_grid=world.t.micro_grids[0])
    with pytest.raises(ValidationError) as error:
        resident.full_clean()
    assert "id_number" in error.value.message_dict


def test_the_model_refuses_invalid_phones(world, residents):
    resident = residents["a"]
    resident.phone = "12345"
    with pytest.raises(ValidationError) as error:
        resident.full_clean()
    assert "phone" in error.value.message_dict
    world.grid_a.phone = "not a phone"
    with pytest.raises(ValidationError):
        world.grid_a.full_clean()


@pytest.mark.parametrize("bad", INVALID_IDS)
def test_the_admin_refuses_invalid_id_numbers(world, browser_client, bad):
    admin = browser_client(world.admin)
    micro = world.t.micro_grids[0]
    response = admin.post(
        reverse("admin:grids_resident_add"),
        {"name": "测试", "id_number": bad, "micro_grid": micro.pk, "special_population": "", "phone": ""},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "id_number" in response.context["adminform"].form.errors
    assert not Resident.objects.filter(name="测试").exists()


def test_the_admin_normalises_a_valid_id_number(world, browser_client):
    from tests.grids.conftest import valid_id_number

    number = valid_id_number()
    admin = browser_client(world.admin)
    response = admin.post(
        reverse("admin:grids_resident_add"),
        {
            "name": "测试",
            "id_number": f" {number.lower()} ",
            "micro_grid": world.t.micro_grids[0].pk,
            "special_population": "",
            "phone": "139 1234 0000",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    resident = Resident.objects.get(name="测试")
    assert resident.id_number == number.upper() and resident.phone == "13912340000"
