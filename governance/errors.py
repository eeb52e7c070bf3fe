"""Error pages that do not strand people (issue 12): 403, 404 and 500 in the app's layout, in the
reader's language, with a way back. With DEBUG on, only a superuser sees Django's debug pages;
everyone else gets the app's pages (`FriendlyErrorsMiddleware`)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader

log = logging.getLogger(__name__)
TEMPLATES = {403: "403.html", 404: "404.html", 500: "500.html"}


def error_page(request: HttpRequest, status: int) -> HttpResponse:
    """The app's error page; a 500 falls back to plain text if even the layout cannot render."""
    try:
        body = loader.render_to_string(TEMPLATES[status], {"status": status}, request=request)
    except Exception:  # the layout itself failed: never fail the error page
        log.exception("error page %s could not render", status)
        body = "Server error" if status == 500 else str(status)
        return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    response = HttpResponse(body, status=status)
    response.app_error_page = True
    return response


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """The app's 404 page; under /api/ a JSON 404 (an unknown action or a malformed id)."""
    if request.path.startswith("/api/"):
        from grids.api_base import api_not_found

        return api_not_found(request, exception)
    return error_page(request, 404)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return error_page(request, 403)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500)


class FriendlyErrorsMiddleware:
    """With DEBUG on, Django answers a missing page or a crash with its debug page (settings,
    tracebacks). Show it to superusers only; anyone else gets the app's 404 or 500 page. API
    answers (JSON) are left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code in (404, 500)
            and not getattr(response, "app_error_page", False)
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith("/api/")
        ):
            user = getattr(request, "user", None)
            if not (user is not None and user.is_authenticated and user.is_superuser):
                return error_page(request, response.status_code)
        return response
