"""Sign-in protection: lockout keyed on the username (django-axes), per-device API tokens
(django-rest-knox) and the audit rows of every login, failed login and logout.

The lockout counts failures per *username*, never per address alone: a town center sits behind
one NAT address, and one person's typos must not lock out the rest of the office.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from . import audit


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out username before any password is checked. Without a request (the
    shell, a management command) there is nothing to brute-force, so it stands aside."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _via(request: HttpRequest | None) -> str:
    path = getattr(request, "path", "") or ""
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "page"


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """429 while a username is locked: JSON for the API, the login page with a message otherwise."""
    message = _("该账号登录失败次数过多,已暂时锁定,请 %(minutes)s 分钟后再试或联系管理员。") % {
        "minutes": _cooloff_minutes()
    }
    username = (credentials or {}).get("username", "") if isinstance(credentials, dict) else ""
    audit.locked_out(username=username or "", request=request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    from django.contrib.auth.forms import AuthenticationForm

    form = AuthenticationForm(request)
    response = render(request, "registration/login.html", {"form": form, "lockout_message": message}, status=429)
    return response


def _cooloff_minutes() -> int:
    from django.conf import settings

    cooloff = settings.AXES_COOLOFF_TIME
    return int(cooloff.total_seconds() // 60) if cooloff else 0


class LoginSerializer(serializers.Serializer):
    """`{"username", "password"}` → the user, through the same backends as the login page (and so
    through the lockout)."""

    username = serializers.CharField(max_length=150, label=gettext_lazy("用户名"))
    password = serializers.CharField(
        max_length=128, label=gettext_lazy("密码"), style={"input_type": "password"}, trim_whitespace=False
    )

    def validate(self, attrs: dict) -> dict:
        request = self.context.get("request")
        django_request = getattr(request, "_request", request)
        user = authenticate(request=django_request, username=attrs["username"], password=attrs["password"])
        if user is None or not user.is_active:
            raise serializers.ValidationError({"non_field_errors": [_("用户名或密码错误。")]}, code="authorization")
        attrs["user"] = user
        return attrs


def _on_login(sender, request=None, user=None, **kwargs):
    audit.login(user=user, request=request, via=_via(request))


def _on_login_failed(sender, credentials=None, request=None, **kwargs):
    username = str((credentials or {}).get("username", ""))
    audit.login_failed(username=username, request=request, via=_via(request))


def _on_logout(sender, request=None, user=None, **kwargs):
    if user is not None:
        audit.logout(user=user, request=request, via=_via(request))


def connect_signals() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="grids.audit.login")
    user_login_failed.connect(_on_login_failed, dispatch_uid="grids.audit.login_failed")
    user_logged_out.connect(_on_logout, dispatch_uid="grids.audit.logout")
