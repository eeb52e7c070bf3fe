"""The one entry point for dispute actions, shared by the pages and the API: parse the body with the
action's form, then call the action's service."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from grids.models import User

from .forms import form_for
from .models import Dispute
from .services import ACTION_SERVICES
from .workflow import authorize


def perform_action(*, user: User, dispute: Dispute, action: str, data) -> object:
    """Check the table first (403/409 before 400), then validate the body and run the service."""
    authorize(user, dispute, action)
    form = form_for(action, user=user, dispute=dispute, data=data)
    if not form.is_valid():
        raise ValidationError(
            {field: [e["message"] for e in errs] for field, errs in form.errors.get_json_data().items()}
        )
    return ACTION_SERVICES[action](dispute=dispute, by=user, **form.cleaned_data)
