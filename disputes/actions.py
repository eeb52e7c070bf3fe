"""Parsing of action bodies, shared by the HTML forms and the API, and the one entry point
`perform_action` that both call."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case as DbCase
from django.db.models import IntegerField, Value, When
from django.utils.translation import gettext_lazy as _

from grids.models import Department, User

from .models import Case, ReturnReason, Satisfaction
from .selectors import cases_visible_to
from .services import ACTION_SERVICES
from .workflow import authorize

# Caps on free text, the same as the model fields that keep it (validated on every path).
COMMENT_MAX = 1000
REASON_MAX = 1000
RESULT_MAX = 2000


class ActionForm(forms.Form):
    def __init__(self, *args, user: User, case: Case, **kwargs):
        self.user, self.case = user, case
        super().__init__(*args, **kwargs)


class CommentForm(ActionForm):
    comment = forms.CharField(
        label=_("意见"), required=False, max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(ActionForm):
    reason = forms.CharField(label=_("理由"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class ResultForm(ActionForm):
    result = forms.CharField(label=_("结果"), max_length=RESULT_MAX, widget=forms.Textarea(attrs={"rows": 3}))


class EmptyForm(ActionForm):
    pass


class MergeForm(ActionForm):
    into = forms.ModelChoiceField(label=_("合并到事项"), queryset=Case.objects.none(), to_field_name="pk")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = cases_visible_to(self.user).exclude(pk=self.case.pk)


def departments_serving(case: Case):
    """Departments whose area is the case's area or one above it: the category's usual kinds of
    department first (the nearest first), then the others."""
    codes = [c for c in case.area_path.split("/") if c]
    usual = list(case.category.usual_department_kinds.values_list("pk", flat=True))
    return (
        Department.objects.filter(area__code__in=codes)
        .select_related("kind", "area")
        .annotate(usual=DbCase(When(kind_id__in=usual, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("usual", "-area__path", "code")
    )


class _UsualLabel:
    """Marks the departments of the category's usual kinds in the choices."""

    def label_from_instance(self, obj: Department) -> str:
        if getattr(obj, "usual", 1) == 0:
            return _("%(name)s · 常用") % {"name": obj.name}
        return obj.name


class DepartmentChoice(_UsualLabel, forms.ModelChoiceField):
    pass


class DepartmentChoices(_UsualLabel, forms.ModelMultipleChoiceField):
    pass


class DispatchForm(ActionForm):
    lead_department = DepartmentChoice(label=_("主办部门"), queryset=Department.objects.none())
    co_departments = DepartmentChoices(
        label=_("协办部门"), queryset=Department.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    comment = forms.CharField(
        label=_("派单意见"), required=False, max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        serving = departments_serving(self.case)
        self.fields["lead_department"].queryset = serving
        self.fields["co_departments"].queryset = serving
        if not self.is_bound:
            # Suggest the nearest department of the category's usual kind.
            first = serving.first()
            if first is not None and first.usual == 0:
                self.fields["lead_department"].initial = first.pk

    def clean(self):
        data = super().clean()
        lead, co = data.get("lead_department"), data.get("co_departments") or []
        if lead is not None and lead in co:
            self.add_error("co_departments", _("主办部门不能同时是协办部门"))
        data["co_departments"] = list(co)
        return data


class ReturnForm(ActionForm):
    reason_code = forms.ChoiceField(
        label=_("退单原因"), choices=[c for c in ReturnReason.choices if c[0] != ReturnReason.WITHDRAWN]
    )
    reason = forms.CharField(label=_("退单说明"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class ProgressForm(ActionForm):
    note = forms.CharField(label=_("进展情况"), max_length=RESULT_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionForm(ActionForm):
    days = forms.IntegerField(label=_("延期工作日"), min_value=1, max_value=30)
    reason = forms.CharField(label=_("延期理由"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class FeedbackForm(ActionForm):
    satisfaction = forms.ChoiceField(label=_("满意度"), choices=Satisfaction.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("回访记录"), required=False, max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "accept": CommentForm,
    "reject": ReasonForm,
    "merge": MergeForm,
    "resolve_on_site": ResultForm,
    "dispatch": DispatchForm,
    "sign": EmptyForm,
    "return": ReturnForm,
    "progress": ProgressForm,
    "request_extension": ExtensionForm,
    "approve_extension": CommentForm,
    "refuse_extension": CommentForm,
    "report": ResultForm,
    "handle": ResultForm,
    "verify": CommentForm,
    "rework": ReasonForm,
    "feedback": FeedbackForm,
    "reopen": ReasonForm,
    "close": CommentForm,
    "escalate": ReasonForm,
}
assert set(ACTION_FORMS) == set(ACTION_SERVICES)


def form_for(action: str, *, user: User, case: Case, data=None) -> ActionForm:
    return ACTION_FORMS[action](data, user=user, case=case, auto_id=f"id_{action}_%s")


def perform_action(*, user: User, case: Case, action: str, data) -> Case:
    """Check the role and state first (403/409), then the body (400), then run the service,
    which checks again on the locked row."""
    authorize(user, case, action)
    form = ACTION_FORMS[action](data, user=user, case=case)
    if not form.is_valid():
        raise ValidationError({field: [str(m) for m in msgs] for field, msgs in form.errors.items()})
    return ACTION_SERVICES[action](case=case, by=user, **form.cleaned_data)
