"""Shared API plumbing: pagination, error shape, and a 409 for illegal transitions."""

from __future__ import annotations

import json
import math

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from .pagination import CappedPaginator

CAPPED_HEADER = "X-Count-Capped"


class Pagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}`; `count` is exact up to COUNT_CAP (10,000), as on
    the list pages: past it the answer says `count: 10000` with the header `X-Count-Capped: 10000`
    (the total stops being counted, so page 1 of a million rows costs what page 1 of ten thousand
    does), and pages go as far as the cap."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        paginator = self.page.paginator
        if getattr(paginator, "capped", False):
            response[CAPPED_HEADER] = str(paginator.cap)
        return response

    def get_page_size(self, request) -> int:
        """`?page_size=` up to max_page_size (more is cut to it); one that is not a positive whole
        number is a 400 (DRF fell back to the default page size without a word)."""
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            raise exceptions.ValidationError({self.page_size_query_param: [_("每页条数须为正整数")]})
        return min(int(raw), self.max_page_size)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This action is not allowed in the current state."
    default_code = "conflict"


def exception_handler(exc, context):
    """DRF's handler, plus: Django ValidationError → 400 with field errors, Http404 stays 404."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    # Imported here: rest_framework.views reads the API settings (which name this module's parser)
    # when it is first imported, so importing it at the top would be circular.
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def _nesting_depth(value) -> int:
    """Depth of nested lists/objects, walked without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item)
    return deepest


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size cap and a depth limit.

    DRF reads a JSON body straight from the stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never
    applies; and a deeply nested body makes the json module raise RecursionError (a 500). Here a
    body over the cap is a 413 and one nested deeper than JSON_MAX_DEPTH a 400.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        from django.conf import settings

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_reject_constant)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
        if _nesting_depth(data) > settings.JSON_MAX_DEPTH:
            raise exceptions.ParseError("JSON parse error - nested too deeply.")
        return data


def _reject_constant(name: str):
    # NaN, Infinity and -Infinity are not JSON.
    raise ValueError(f"{name} is not valid JSON")


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise exceptions.ValidationError(_("请输入有效的数字。"))
    return value


class FiniteFloatField(serializers.FloatField):
    """A float that is a real number: NaN and ±inf are a 400, not a silent pass of min/max."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(_finite)


@csrf_exempt
def api_not_found(request, exception=None):
    """handler404: a JSON 404 under /api/ (an unknown action or a malformed id), the page elsewhere.

    Exempt from CSRF: an API client posting to a path that does not exist (a malformed id) is
    answered 404, not with the CSRF failure page that a POST to a plain Django view would get."""
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(exceptions.NotFound.default_detail)}, status=404)
    return page_not_found(request, exception)


# --------------------------------------------------------------------------------------------------
# OpenAPI: the error answers every operation can give, documented from the same rules the views
# follow (out of scope → 404, not permitted → 403, wrong state → 409, bad input → 400).

_ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` with a message, or field names with their lists of errors; a nested object's "
    "errors are an object by field name, a list's by position (DRF's shapes).",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
        ]
    },
}
_ERROR_TEXT = {
    "400": "Invalid input or parameters: field errors, or `detail`.",
    "401": "Not signed in, or the token expired or was revoked.",
    "403": "Visible, but the caller may not do this.",
    "404": "Not found, or outside the caller's scope (for a list: no such page, or the caller's role has no such list).",
    "409": "Not allowed in the object's current state.",
    "413": "The request body is too large.",
    "429": "Too many failed sign-ins for this username.",
}


def document_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: add the error responses each operation can return."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", _ERROR_SCHEMA)
    ref = {"$ref": "#/components/schemas/Error"}
    # Codes a view declares for all its operations (`api_error_codes`), e.g. a 404 for roles that
    # have no access to the module at all.
    declared: dict[tuple[str, str], set[str]] = {}
    for path, _regex, method, view in generator._get_paths_and_endpoints():
        declared[(path, method.lower())] = set(getattr(view, "api_error_codes", ()))
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = set()
            public_operation = operation.get("security") == [] or {} in operation.get("security", [{}])
            if not public_operation:
                codes.add("401")
            if "{" in path:
                codes.add("404")
            if method in {"post", "put", "patch"}:
                codes |= {"400", "413"}
                if not public_operation:
                    codes.add("403")
            elif operation.get("parameters") and any(p.get("in") == "query" for p in operation["parameters"]):
                codes.add("400")
            if "/actions/" in path:
                codes.add("409")
            query = {p.get("name") for p in operation.get("parameters", ()) if p.get("in") == "query"}
            if "page" in query:
                codes.add("404")  # DRF's pagination: a page past the end, or not a number
            codes |= declared.get((path, method), set())
            for code in sorted(codes):
                operation["responses"].setdefault(code, {"description": _ERROR_TEXT[code]})
            # Every error answer is JSON in the error shape, also those a view describes in words only.
            for code, response in operation["responses"].items():
                if code.startswith("4") and "content" not in response:
                    response["content"] = {"application/json": {"schema": ref}}
    return result
