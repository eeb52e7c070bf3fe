"""Report pages. Included by the project's urls.py (no namespace: the names are global)."""

from django.urls import path

from . import report_views

urlpatterns = [
    path("reports/", report_views.report_list, name="report_list"),
    path("reports/generate/", report_views.report_generate, name="report_generate"),
    path("reports/generate/progress/", report_views.report_progress, name="report_progress"),
    path("reports/generate/status/", report_views.report_status, name="report_status"),
    path("reports/<int:pk>/", report_views.report_detail, name="report_detail"),
    path("reports/<int:pk>/xlsx/", report_views.report_xlsx, name="report_xlsx"),
]
