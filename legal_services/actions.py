"""The one entry point for legal-aid actions, shared by the page and the API: role and state
first (403/409), then the body (400), then the service (which re-checks on the locked row)."""

from __future__ import annotations

from grids.models import User

from .forms import ACTION_FORMS, errors_of
from .models import AidApplication
from .services import ACTION_SERVICES
from .workflow import authorize


def perform_action(*, user: User, application: AidApplication, action: str, data) -> AidApplication:
    authorize(user, application, action)
    form = ACTION_FORMS[action](data, user=user, application=application)
    if not form.is_valid():
        raise errors_of(form)
    return ACTION_SERVICES[action](application=application, by=user, **form.cleaned_data)


def refer_consultation(*, user: User, consultation, to: str, data) -> tuple[str, int]:
    """Refer a consultation on (`to` is a registered target kind: "aid", "case", later "dispute").
    Returns the target's kind and id."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from .selectors import can_write
    from .targets import referrer_for
    from .workflow import ActionNotAllowed

    if not can_write(user, consultation.area_path):
        raise ActionNotAllowed(_("您无权转介此咨询"))
    found = referrer_for(to)
    if found is None:
        raise ValidationError({"to": [_("未知的转介去向")]})
    referrer, form_class = found
    form = form_class(data, user=user, consultation=consultation)
    if not form.is_valid():
        raise errors_of(form)
    target_id = referrer(consultation=consultation, by=user, **form.cleaned_data)
    return to, target_id
