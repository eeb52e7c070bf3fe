"""Page weight: the compressed bytes a grid worker's first visit transfers (login, home, report form,
with everything they load, the service worker's shell and pages included) and those of the dashboard.

Static files count at their brotli size (WhiteNoise serves the precompressed .br files that
CompressedManifestStaticFilesStorage writes at collectstatic); HTML and JSON at their gzip size (the
front proxy compresses them). A file loaded by several pages counts once, as a browser caches it.

    python -m bench.pageweight [grid_worker] [dashboard_user]   # prints one JSON line
The bench (`make bench`) adds `phone_first_visit_kb` and `dashboard_kb` to its JSON line.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from urllib.parse import urlsplit

import brotli

PHONE_FIRST_VISIT_GOAL_KB = 300
DASHBOARD_GOAL_KB = 700
_ASSET = re.compile(r"""(?:src|href)=["'](/static/[^"'?#]+)""")


def _static_bytes(url: str) -> bytes:
    from django.conf import settings
    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.storage import staticfiles_storage

    name = url[len(settings.STATIC_URL) :]
    found = finders.find(name)
    if not found:
        unhashed = re.sub(r"\.[0-9a-f]{12}(\.[^./]+)$", r"\1", name)
        found = finders.find(unhashed)
    if not found:
        found = staticfiles_storage.path(name)
    with open(found, "rb") as fh:
        return fh.read()


class Visit:
    """One browser's visit: pages and their assets, each asset counted once."""

    def __init__(self) -> None:
        from django.test import Client

        self.client = Client()
        self.seen: set[str] = set()
        self.bytes = 0
        self.items: list[tuple[str, int]] = []

    def _count(self, name: str, size: int) -> None:
        self.bytes += size
        self.items.append((name, size))

    def asset(self, url: str) -> None:
        path = urlsplit(url).path
        if path in self.seen:
            return
        self.seen.add(path)
        self._count(path, len(brotli.compress(_static_bytes(path))))

    def page(self, url: str, *, assets: bool = True) -> str:
        response = self.client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
        body = response.content
        self._count(url, len(gzip.compress(body, 6)))
        text = body.decode("utf-8", "replace")
        if assets:
            for match in _ASSET.findall(text):
                self.asset(match)
        return text

    @property
    def kb(self) -> float:
        return round(self.bytes / 1024, 1)


def phone_first_visit(username: str) -> Visit:
    from django.urls import reverse

    from governance.pwa import SHELL_FILES
    from grids.models import User

    visit = Visit()
    visit.page(reverse("login"))
    visit.client.force_login(User.objects.get(username=username))
    visit.page(reverse("home"))
    visit.page(reverse("case_new"))
    # The report form's base map: the features in a phone's view of the worker's grid (about 0.03°).
    from grids.selectors import get_scope

    home = get_scope(User.objects.get(username=username)).home_area()
    if home and home.centroid:
        lat, lng = home.centroid["lat"], home.centroid["lng"]
        box = [lng - 0.015, lat - 0.015, lng + 0.015, lat + 0.015]
        visit.page(reverse("api-map-features") + "?bbox=" + ",".join(f"{v:.2f}" for v in box), assets=False)
    # The service worker: its script, the manifest, the shell it caches and the pages it keeps.
    visit.page(reverse("service_worker"), assets=False)
    visit.page(reverse("manifest"), assets=False)
    from django.templatetags.static import static

    for name in SHELL_FILES:
        visit.asset(static(name))
    visit.page(reverse("offline"), assets=False)
    visit.page(reverse("case_list"), assets=False)
    return visit


def dashboard(username: str) -> Visit:
    from django.urls import reverse

    from grids.models import User

    visit = Visit()
    visit.client.force_login(User.objects.get(username=username))
    visit.page(reverse("dashboard"))
    return visit


def measure(grid_worker: str = "grid_a", dashboard_user: str = "official") -> dict:
    return {
        "phone_first_visit_kb": phone_first_visit(grid_worker).kb,
        "dashboard_kb": dashboard(dashboard_user).kb,
    }


if __name__ == "__main__":  # pragma: no cover - a manual tool
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

    django.setup()
    print(json.dumps(measure(*sys.argv[1:3])))
