"""The installable app: the web app manifest, the service worker at the root scope, the offline page.

The worker (static/sw.js) is served by a view, not from /static/, so its scope can be "/". The view
prefixes the file with its configuration: the app shell's static URLs (hashed by the manifest storage
when DEBUG is off) and a version that changes whenever the worker or a shell file changes, so
browsers pick up a new worker and drop the old caches.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# What every page needs offline: CSS, the scripts of the grid worker's pages, Leaflet and the icons.
SHELL_FILES = [
    "css/app.css",
    "js/pwa.js",
    "js/drafts.js",
    "js/caseform.js",
    "js/basemap.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/images/marker-icon.png",
    "vendor/leaflet/images/marker-icon-2x.png",
    "vendor/leaflet/images/marker-shadow.png",
    "icons/icon-192.png",
]


@lru_cache(maxsize=1)
def _worker_source() -> tuple[str, str]:
    """(the worker's source, its version): read and hashed once per process."""
    digest = hashlib.sha256()
    path = finders.find("sw.js")
    with open(path, "rb") as fh:
        source = fh.read()
    digest.update(source)
    for name in SHELL_FILES:
        found = finders.find(name)
        if found:
            with open(found, "rb") as fh:
                digest.update(fh.read())
    return source.decode(), digest.hexdigest()[:16]


def _worker_config() -> dict:
    _source, version = _worker_source()
    return {
        "version": version,
        "shell": [static(name) for name in SHELL_FILES],
        "drafts": static("js/drafts.js"),
        "offline": reverse("offline"),
        "report": reverse("case_new"),
        # The grid worker's pages kept for use with no signal (network first, cached copy as fallback).
        "pages": [reverse("home"), reverse("case_new"), reverse("case_list")],
        "cached_api": [reverse("api-map-features")],
    }


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    source, _version = _worker_source()
    body = f"self.GOV = {json.dumps(_worker_config())};\n{source}"
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache, max-age=0"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": _("网格化社会治理平台"),
        "short_name": _("网格治理"),
        "description": _("网格员上报、办理和跟踪事项,无信号时也能记录。"),
        "lang": request.LANGUAGE_CODE,
        "start_url": reverse("home") + "?source=pwa",
        "scope": "/",
        "id": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f4f6f9",
        "theme_color": "#0f2a4a",
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("icons/icon-192-maskable.png"),
                "sizes": "192x192",
                "type": "image/png",
                "purpose": "maskable",
            },
            {
                "src": static("icons/icon-512-maskable.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "shortcuts": [{"name": _("上报事项"), "url": reverse("case_new")}],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@never_cache
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker for a page it has no copy of while there is no signal. The same for
    every user (the worker keeps it in the shared shell cache), so rendered without the request: no
    user, no session, no database."""
    return HttpResponse(render_to_string("offline.html"))
