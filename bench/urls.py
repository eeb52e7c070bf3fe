"""The app's urlconf plus the framework floor: the cheapest authenticated view Django can serve."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("", include("governance.urls")),
]
