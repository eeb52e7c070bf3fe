"""转法律援助 from a case or a dispute: one page, reached from the referral block on either."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from legal_services.workflow import ActionNotAllowed

from . import referrals


@login_required
def refer_to_aid(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    sources = referrals.aid_sources_visible_to(request.user, kind)
    if sources is None:
        raise Http404
    source = get_object_or_404(sources, pk=pk)
    if not referrals.may_refer_to_aid(request.user, source):
        raise Http404
    form = referrals.AidFromSourceForm(request.POST or None, initial=referrals.aid_initial(source))
    if request.method == "POST" and form.is_valid():
        try:
            aid_id = referrals.refer_to_aid(source=source, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            found = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, errors in found.items():
                form.add_error(field if field in form.fields else None, errors)
        except ActionNotAllowed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已转法律援助"))
            return redirect("legal:aid_detail", pk=aid_id)
    return render(
        request,
        "legal_services/form.html",
        {
            "form": form,
            "title": _("转法律援助 · %(number)s") % {"number": source.number},
        },
        status=400 if request.method == "POST" else 200,
    )
