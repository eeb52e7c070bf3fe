"""The one entry point for a workflow action, shared by the case page and the API: check the
table, parse the body with the action's form (disputes/forms.py), run the action's service."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from grids.models import User

from .forms import ACTION_FORMS, PHOTO_ACTIONS, form_for
from .models import Case
from .services import ACTION_SERVICES
from .workflow import authorize

__all__ = ["form_for", "perform_action"]


def perform_action(*, user: User, case: Case, action: str, data, files=None) -> Case:
    """Check the role and state first (403/409), then the body (400), then run the service,
    which checks again on the locked row. Handling, resolving on site and verifying take "after"
    photos (`files`: a MultiValueDict, its "photos")."""
    authorize(user, case, action)
    form = ACTION_FORMS[action](data, user=user, case=case)
    if not form.is_valid():
        raise ValidationError({field: [str(m) for m in msgs] for field, msgs in form.errors.items()})
    extra = {}
    if action in PHOTO_ACTIONS and files is not None:
        extra["files"] = files.getlist("photos")
    return ACTION_SERVICES[action](case=case, by=user, **form.cleaned_data, **extra)
