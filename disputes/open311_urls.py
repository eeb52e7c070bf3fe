"""/open311/v2/: Open311 GeoReport v2 (disputes/open311.py). The suffix picks JSON or XML."""

from django.urls import path, re_path

from . import open311

FMT = r"\.(?P<fmt>json|xml)"

urlpatterns = [
    path("", open311.not_found, name="open311_root"),
    re_path(rf"^discovery{FMT}$", open311.discovery, name="open311_discovery"),
    re_path(rf"^services{FMT}$", open311.service_list, name="open311_services"),
    re_path(rf"^services/(?P<code>[-\w]+){FMT}$", open311.service_definition, name="open311_service"),
    re_path(rf"^requests{FMT}$", open311.requests_, name="open311_requests"),
    re_path(rf"^requests/(?P<request_id>[-\w]+){FMT}$", open311.request_detail, name="open311_request"),
    re_path(rf"^tokens/(?P<token>[-\w]+){FMT}$", open311.token, name="open311_token"),
    re_path(rf"^servicerequestupdates{FMT}$", open311.updates, name="open311_updates"),
    re_path(rf"^(?P<rest>.*?){FMT}$", open311.not_found),
    re_path(r"^(?P<rest>.*)$", open311.not_found),
]
