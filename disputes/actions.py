"""The one entry point for a workflow action, shared by the case page and the API: check the
table, parse the body with the action's form (disputes/forms.py), run the action's service."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from grids.models import User

from .forms import ACTION_FORMS, form_for
from .models import Case
from .services import ACTION_SERVICES
from .workflow import authorize

__all__ = ["form_for", "perform_action"]


def perform_action(*, user: User, case: Case, action: str, data) -> Case:
    """Check the role and state first (403/409), then the body (400), then run the service,
    which checks again on the locked row."""
    authorize(user, case, action)
    form = ACTION_FORMS[action](data, user=user, case=case)
    if not form.is_valid():
        raise ValidationError({field: [str(m) for m in msgs] for field, msgs in form.errors.items()})
    return ACTION_SERVICES[action](case=case, by=user, **form.cleaned_data)
