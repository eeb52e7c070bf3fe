"""The public REST API, /api/v1/ (names fixed by the API contract)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from disputes import api as disputes_api
from disputes.mediation import api as mediation_api
from governance import api as governance_api
from governance.dashboard_views import DashboardAPIView
from grids import api as grids_api
from grids import field_api as grids_field_api
from grids.api_base import api_not_found

router = DefaultRouter()
router.register("areas", grids_api.AreaViewSet, basename="area")
router.register("departments", grids_api.DepartmentViewSet, basename="department")
router.register("residents", grids_api.ResidentViewSet, basename="resident")
router.register("notifications", grids_api.NotificationViewSet, basename="notification")
router.register("categories", disputes_api.CategoryViewSet, basename="category")
router.register("cases", disputes_api.CaseViewSet, basename="case")
router.register("reports", governance_api.ReportViewSet, basename="report")
# Field work (issue 16)
router.register("patrols", grids_field_api.PatrolViewSet, basename="patrol")
router.register("households", grids_field_api.HouseholdViewSet, basename="household")

# Public legal services, under /api/v1/legal/
from legal_services.api import ROUTES as LEGAL_ROUTES  # noqa: E402

for prefix, viewset, basename in LEGAL_ROUTES:
    router.register(prefix, viewset, basename=basename)

# Dispute mediation (disputes/mediation/api.py).
router.register("mediation-orgs", mediation_api.MediationOrgViewSet, basename="mediation-org")
router.register("disputes", mediation_api.DisputeViewSet, basename="dispute")
router.register("screenings", mediation_api.ScreeningViewSet, basename="screening")

urlpatterns = [
    path("auth/token/", grids_api.ObtainTokenView.as_view(), name="api-token"),
    path("me/", grids_api.MeView.as_view(), name="api-me"),
    path("dashboard/", DashboardAPIView.as_view(), name="api-dashboard"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]

# Issue 16 (phone and offline): the vector base map by bounding box.
urlpatterns += [path("map-features/", grids_api.MapFeatureView.as_view(), name="api-map-features")]
# Hardening (issue 18): per-device tokens are revoked on logout.
urlpatterns += [
    path("auth/logout/", grids_api.LogoutView.as_view(), name="api-logout"),
    path("auth/logoutall/", grids_api.LogoutAllView.as_view(), name="api-logout-all"),
]
# Last: anything else under /api/v1/ is a JSON 404, with DEBUG on too (handler404 covers DEBUG off).
urlpatterns += [re_path(r"^.*/$", api_not_found)]
