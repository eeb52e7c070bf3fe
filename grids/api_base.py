"""Shared API plumbing: pagination, error shape, and a 409 for illegal transitions."""

from __future__ import annotations

import json
import math

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200


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


def api_not_found(request, exception=None):
    """handler404: a JSON 404 under /api/ (an unknown action or a malformed id), the page elsewhere."""
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(exceptions.NotFound.default_detail)}, status=404)
    return page_not_found(request, exception)
