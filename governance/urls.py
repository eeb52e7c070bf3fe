from django.contrib import admin
from django.urls import include, path

from . import dashboard_views, referral_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/export.xlsx", dashboard_views.dashboard_export, name="dashboard_export"),
    path("refer/<slug:kind>/<int:pk>/aid/", referral_views.refer_to_aid, name="refer_to_aid"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("governance.api_urls")),
    path("", include("grids.urls")),
    path("", include("disputes.urls")),
    path("", include("governance.report_urls")),
    # Public legal services (legal_services)
    path("", include("legal_services.urls")),
    path("open311/v2/", include("disputes.open311_urls")),  # Open311 GeoReport v2 (issue 15)
]


# Issue 16 (phone and offline): the installable app (manifest, service worker at the root scope).
from . import pwa  # noqa: E402

urlpatterns += [
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
]

# Issue 12: error pages in the app's layout (governance/errors.py).
handler403 = "governance.errors.permission_denied"
handler404 = "governance.errors.page_not_found"  # JSON under /api/ (issue 18)
handler500 = "governance.errors.server_error"
