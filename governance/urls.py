from django.contrib import admin
from django.urls import include, path

from . import dashboard_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/export.xlsx", dashboard_views.dashboard_export, name="dashboard_export"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("governance.api_urls")),
    path("", include("grids.urls")),
    path("", include("disputes.urls")),
    path("", include("governance.report_urls")),
]

# Issue 12: error pages in the app's layout (governance/errors.py).
handler403 = "governance.errors.permission_denied"
handler404 = "governance.errors.page_not_found"
handler500 = "governance.errors.server_error"
