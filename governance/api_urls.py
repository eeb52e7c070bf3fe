"""The public REST API, /api/v1/ (names fixed by the API contract)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from disputes import api as disputes_api
from governance import api as governance_api
from governance.dashboard_views import DashboardAPIView
from grids import api as grids_api

router = DefaultRouter()
router.register("areas", grids_api.AreaViewSet, basename="area")
router.register("departments", grids_api.DepartmentViewSet, basename="department")
router.register("residents", grids_api.ResidentViewSet, basename="resident")
router.register("notifications", grids_api.NotificationViewSet, basename="notification")
router.register("categories", disputes_api.CategoryViewSet, basename="category")
router.register("cases", disputes_api.CaseViewSet, basename="case")
router.register("reports", governance_api.ReportViewSet, basename="report")

urlpatterns = [
    path("auth/token/", grids_api.ObtainTokenView.as_view(), name="api-token"),
    path("me/", grids_api.MeView.as_view(), name="api-me"),
    path("dashboard/", DashboardAPIView.as_view(), name="api-dashboard"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]

# Issue 16 (phone and offline): the vector base map by bounding box.
urlpatterns.insert(-1, path("map-features/", grids_api.MapFeatureView.as_view(), name="api-map-features"))
