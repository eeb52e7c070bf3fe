import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def _accepted_language(header: str) -> str | None:
    """The first supported language of an Accept-Language header, or None."""
    for language, _quality in parse_accept_lang_header(header):
        if language == "*":
            return None
        try:
            return translation.get_supported_language_variant(language)
        except LookupError:
            continue
    return None


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose otherwise in the header (the language cookie).

    The browser's Accept-Language is ignored on pages on purpose: these are Chinese government
    systems, and a workstation with an English browser should still open in Chinese. An API client
    says which language it reads with Accept-Language (a program has no language switch); stored
    messages (notifications) are rendered in it.
    """

    def process_request(self, request):
        language = None
        if request.path_info.startswith(API_PREFIX):
            language = _accepted_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        if language is None:
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if not language or not translation.check_for_language(language):
            language = settings.LANGUAGE_CODE
        language = translation.get_supported_language_variant(language)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# --------------------------------------------------------------------------------------------------
# Hardening (issue 18): body caps, a 503 when the database is out of reach, no caching of what
# a signed-in user sees.


def _json_or_text(request, status: int, detail: str, **headers) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": detail}, status=status)
    else:
        response = HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class BodySizeLimitMiddleware:
    """413 for a body announced larger than the caps, before anything reads it.

    Non-file bodies (JSON, forms) are capped at DATA_UPLOAD_MAX_MEMORY_SIZE; multipart bodies at the
    photo caps (UPLOAD_MAX_FILES × UPLOAD_MAX_BYTES) plus that. The JSON parser enforces the same
    cap while reading, for bodies sent without a Content-Length.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _json_or_text(request, 400, "Invalid Content-Length.")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.META.get("CONTENT_TYPE", "").startswith("multipart/"):
            limit += settings.UPLOAD_MAX_FILES * settings.UPLOAD_MAX_BYTES
        if limit is not None and length > limit:
            return _json_or_text(request, 413, str(_("请求内容过大。")))
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A request that cannot reach the database (no free connection, the server restarting) answers
    503 with Retry-After, as JSON under /api/, instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import InterfaceError, OperationalError

        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable: %s", exception)
        return _json_or_text(request, 503, str(_("服务繁忙,请稍后重试。")), Retry_After="5")


class PrivateNoStoreMiddleware:
    """`Cache-Control: private, no-store` on API answers and on every page a signed-in user sees,
    so a shared workstation's cache or a proxy keeps no resident data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(settings.STATIC_URL):
            return response  # the same for everyone, and cached for long
        # Decided without touching the database (it may be the reason this is a 503): a session
        # cookie, or a user this request already loaded and signed in.
        user = getattr(request, "user", None)
        loaded = getattr(request, "_cached_user", None)
        signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES or (
            user is not None and loaded is not None and loaded.is_authenticated
        )
        if request.path.startswith("/api/") or signed_in:
            patch_cache_control(response, private=True, no_store=True)
            response.headers.pop("Expires", None)
        return response
