"""Issue 18 (hardening), the cases part: malformed ids and unknown actions are JSON 404s, nested
or oversized bodies are 400/413, every free text has a maximum length on every path, and bad
coordinates are a 400."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.validators import MaxLengthValidator
from django.db import models

from disputes.actions import ACTION_FORMS
from disputes.models import Case, CaseEvent

pytestmark = pytest.mark.django_db

API = "/api/v1"


def nested(depth: int) -> bytes:
    return ('{"a": ' * depth + "1" + "}" * depth).encode()


# ---------------------------------------------------------------- defect 4: ids and unknown actions


@pytest.mark.parametrize(
    "method, path",
    [
        ("patch", "/cases/abc/"),
        ("get", "/cases/abc/"),
        ("post", "/cases/abc/actions/accept/"),
        ("post", "/cases/1e3/actions/accept/"),
        ("get", "/residents/abc/"),
        ("get", "/areas/abc/"),
        ("get", "/reports/abc/"),
        ("post", "/notifications/abc/read/"),
    ],
)
def test_a_malformed_id_is_a_json_404(world, api, method, path):
    response = getattr(api(world.center_town), method)(API + path, {}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


@pytest.mark.parametrize("name", ["no_such", "Accept", "accept-now", "1"])
def test_an_unknown_action_is_a_json_404(world, report, api, name):
    case = report()
    response = api(world.center_town).post(f"{API}/cases/{case.pk}/actions/{name}/", {}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_an_unknown_api_path_is_a_json_404(world, api):
    response = api(world.center_town).get(f"{API}/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["detail"]


# ---------------------------------------------------------------- defect 3: nested JSON


def test_nested_json_on_case_create_and_actions_is_a_400(world, report, api):
    case = report()
    client = api(world.center_town)
    for path in (f"{API}/cases/", f"{API}/cases/{case.pk}/actions/accept/", f"{API}/cases/{case.pk}/"):
        method = client.patch if path.endswith(f"{case.pk}/") else client.post
        for depth in (30, 50_000):
            response = method(path, nested(depth), content_type="application/json")
            assert response.status_code == 400, (path, depth, response.content[:200])
    assert CaseEvent.objects.filter(case=case).count() == 1  # only the report


# ---------------------------------------------------------------- defect 2: size caps


def test_a_ten_megabyte_description_is_refused_not_stored(world, categories, api):
    micro = world.t.micro_grids[0]
    body = {"category": "road_damage", "lat": micro.centroid_lat, "lng": micro.centroid_lng}
    big = api(world.grid_a).post(f"{API}/cases/", {**body, "description": "坑" * 10_000_000}, format="json")
    assert big.status_code == 413
    long = api(world.grid_a).post(f"{API}/cases/", {**body, "description": "坑" * 2001}, format="json")
    assert long.status_code == 400 and "description" in long.json()
    assert Case.objects.count() == 0
    ok = api(world.grid_a).post(f"{API}/cases/", {**body, "description": "坑" * 2000}, format="json")
    assert ok.status_code == 201


@pytest.mark.parametrize(
    "action, field",
    [("accept", "comment"), ("reject", "reason"), ("resolve_on_site", "result"), ("escalate", "reason")],
)
def test_long_action_texts_are_a_400(world, report, api, action, field):
    case = report()
    user = world.grid_a if action == "resolve_on_site" else world.center_town
    response = api(user).post(f"{API}/cases/{case.pk}/actions/{action}/", {field: "长" * 5000}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_the_case_page_form_caps_the_description(world, categories, browser_client):
    from django.urls import reverse

    micro = world.t.micro_grids[0]
    response = browser_client(world.grid_a).post(
        reverse("case_new"),
        {
            "category": categories.road.pk,
            "urgency": "normal",
            "description": "坑" * 2001,
            "lat": micro.centroid_lat,
            "lng": micro.centroid_lng,
        },
    )
    assert response.status_code == 200 and "description" in response.context["form"].errors
    assert Case.objects.count() == 0


def _project_models():
    return [m for m in apps.get_models() if m._meta.app_label in {"grids", "disputes", "legal_services", "governance"}]


def test_every_text_field_has_a_max_length_validated_on_the_model():
    """Walk every model: a TextField without a cap is a body-size hole on some path (admin, API)."""
    missing = []
    for model in _project_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.TextField):
                capped = field.max_length and any(
                    isinstance(v, MaxLengthValidator) and v.limit_value == field.max_length for v in field.validators
                )
                if not capped:
                    missing.append(f"{model.__name__}.{field.name}")
    assert missing == []


def test_every_char_field_has_a_max_length():
    missing = [
        f"{model.__name__}.{field.name}"
        for model in _project_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.CharField) and not field.max_length
    ]
    assert missing == []


def test_every_writable_string_in_the_api_schema_has_a_max_length(world, api):
    """Walk the request bodies of every operation in the OpenAPI schema."""
    schema = api(world.admin).get(f"{API}/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    missing = []

    def walk(node, where):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            walk(components[name], name)
            return
        for key in ("allOf", "oneOf", "anyOf"):
            for part in node.get(key, []):
                walk(part, where)
        if node.get("type") == "array" and "items" in node:
            walk(node["items"], where + "[]")
        for name, prop in node.get("properties", {}).items():
            if prop.get("readOnly"):
                continue
            if prop.get("type") == "string" and not (
                "enum" in prop
                or prop.get("format") in {"binary", "date", "date-time", "uri", "decimal"}
                or "maxLength" in prop
            ):
                missing.append(f"{where}.{name}")
            walk(prop, f"{where}.{name}")

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                walk(media.get("schema", {}), f"{method.upper()} {path}")
    assert missing == []


def test_every_free_text_in_the_action_forms_has_a_max_length(world, report):
    from django import forms

    case = report()
    missing = [
        f"{action}.{name}"
        for action, form_class in ACTION_FORMS.items()
        for name, field in form_class(user=world.center_town, case=case).fields.items()
        if type(field) is forms.CharField and not field.max_length
    ]
    assert missing == []


def test_the_model_refuses_an_over_long_description(world, report):
    from django.core.exceptions import ValidationError

    case = report()
    case.description = "坑" * 2001
    with pytest.raises(ValidationError) as error:
        case.full_clean()
    assert "description" in error.value.message_dict


# ---------------------------------------------------------------- defect 12: bad parameters


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-Infinity", "1e400"])
def test_non_finite_coordinates_are_a_400(world, categories, api, value):
    client = api(world.grid_a)
    assert client.get(f"{API}/areas/locate/", {"lat": value, "lng": "109.8"}).status_code == 400
    response = client.get(f"{API}/cases/duplicates/", {"category": "road_damage", "lat": value, "lng": "109.8"})
    assert response.status_code == 400
    response = client.post(
        f"{API}/cases/",
        {"category": "road_damage", "description": "x", "lat": value, "lng": "109.8"},
        format="multipart",
    )
    assert response.status_code == 400 and "lat" in response.json()
    assert Case.objects.count() == 0


@pytest.mark.parametrize("value", ["»¢", "maybe", "2"])
def test_a_bad_boundary_flag_is_a_400(world, api, value):
    response = api(world.official).get(f"{API}/areas/", {"boundary": value})
    assert response.status_code == 400 and "boundary" in response.json()


def test_duplicates_answer_is_paginated_like_its_schema(world, categories, api):
    micro = world.t.micro_grids[0]
    response = api(world.grid_a).get(
        f"{API}/cases/duplicates/", {"category": "road_damage", "lat": micro.centroid_lat, "lng": micro.centroid_lng}
    )
    assert set(response.json()) == {"count", "next", "previous", "results"}
    schema = api(world.admin).get(f"{API}/schema/", {"format": "json"}).json()
    ok = schema["paths"][f"{API}/cases/duplicates/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ok["schema"]["$ref"].endswith("/PaginatedCaseListList")


def test_the_schema_documents_the_error_answers(world, api):
    schema = api(world.admin).get(f"{API}/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    action = paths[f"{API}/cases/{{id}}/actions/{{name}}/"]["post"]["responses"]
    assert {"400", "403", "404", "409"} <= set(action)
    assert {"400", "403", "404"} <= set(paths[f"{API}/cases/{{id}}/"]["patch"]["responses"])
    assert {"400", "403"} <= set(paths[f"{API}/cases/"]["post"]["responses"])
    assert "404" in paths[f"{API}/residents/{{id}}/"]["get"]["responses"]
    assert "400" in paths[f"{API}/areas/"]["get"]["responses"]
    assert "429" in paths[f"{API}/auth/token/"]["post"]["responses"]
