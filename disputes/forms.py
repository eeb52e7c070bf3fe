"""The forms of the case pages: the queue's filters, the report form and one form per workflow
action (shared by the case page and the API, through `disputes.actions.perform_action`).

Forms parse and validate input; they never decide who may do what (`disputes/workflow.py` does).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grids.models import Area, Department, Level, User
from grids.selectors import area_choices_for, areas_visible_to
from grids.widgets import FastSelect

from .models import Case, Category, ReturnReason, Satisfaction, Status, Urgency
from .selectors import cases_visible_to, departments_serving, report_areas_for

# Caps on free text, the same as the model fields that keep it (validated on every path).
COMMENT_MAX = 1000
REASON_MAX = 1000
RESULT_MAX = 2000


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("编号、标题或地址"), "type": "search"}),
    )
    status = forms.ChoiceField(label=_("状态"), required=False)
    category = forms.ModelChoiceField(
        label=_("分类"),
        queryset=Category.objects.all(),
        required=False,
        empty_label=_("全部分类"),
    )
    area = forms.ModelChoiceField(
        label=_("区域"), queryset=Area.objects.none(), required=False, empty_label=_("全部区域")
    )
    # Flags: only "1" filters (an unchecked box means "either"), so a link can name one exactly.
    open = forms.BooleanField(label=_("未结案"), required=False)
    overdue = forms.BooleanField(label=_("已超期"), required=False)
    supervised = forms.BooleanField(label=_("督办中"), required=False)
    escalated = forms.BooleanField(label=_("已上报区级"), required=False)
    created_from = forms.DateField(label=_("上报自"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    created_to = forms.DateField(label=_("上报至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> dict:
        """The cleaned filters as `selectors.filter_cases` takes them (an unchecked flag: no filter)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "status": data.get("status") or None,
            "area": data.get("area"),
            "category": data.get("category"),
            "q": data.get("q") or None,
            **{flag: True for flag in ("open", "overdue", "supervised", "escalated") if data.get(flag)},
            "created_from": data.get("created_from"),
            "created_to": data.get("created_to"),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("status", "category", "area"):  # hundreds of areas: no template per option
            self.fields[name].widget = FastSelect(attrs=self.fields[name].widget.attrs)
            self.fields[name].widget.choices = self.fields[name].choices
        self.fields["status"].choices = [("", _("全部状态"))] + list(Status.choices)
        # Hundreds of areas: the submitted one is checked against the queryset (one query, only when
        # a filter names an area); the options come from the per-scope cache (area_choices_for).
        levels = [Level.DISTRICT, Level.TOWN, Level.VILLAGE, Level.GRID]
        self.fields["area"].queryset = areas_visible_to(user).filter(level__in=levels).defer("boundary")
        self.fields["area"].widget.choices = [("", self.fields["area"].empty_label), *area_choices_for(user, levels)]


class CaseForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("分类"),
        queryset=Category.objects.filter(active=True),
        empty_label=_("请选择分类"),
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL, widget=forms.RadioSelect
    )
    title = forms.CharField(label=_("标题"), max_length=120, required=False)
    description = forms.CharField(label=_("描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    involved_people = forms.CharField(
        label=_("涉及人员"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    area = forms.ModelChoiceField(
        label=_("所属区域(无定位时选择)"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=_("按地图定位"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = report_areas_for(user).filter(level__in=[Level.GRID, Level.MICRO_GRID])


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


class CloseForm(ActionForm):
    comment = forms.CharField(
        label=_("意见"), required=False, max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    unreachable = forms.BooleanField(
        label=_("无法回访(未能联系到群众)"),
        required=False,
        help_text=_("未回访的事项须勾选此项才能结案,计入“无法回访”"),
    )


class SuperviseForm(ActionForm):
    note = forms.CharField(label=_("督办意见"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    reply_within_hours = forms.IntegerField(label=_("回复时限(工作小时)"), min_value=1, max_value=240, initial=8)


class ReplyForm(ActionForm):
    note = forms.CharField(label=_("回复内容"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


# The actions that may carry "after" photos (the files are passed beside the form's data).
PHOTO_ACTIONS = frozenset({"handle", "resolve_on_site", "verify"})

# One form per public action: tests/disputes/test_workflow_table.py checks it matches the table.
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
    "close": CloseForm,
    "escalate": ReasonForm,
    "supervise": SuperviseForm,
    "reply": ReplyForm,
}


def form_for(action: str, *, user: User, case: Case, data=None) -> ActionForm:
    return ACTION_FORMS[action](data, user=user, case=case, auto_id=f"id_{action}_%s")


# ---------------------------------------------------------------------------------------------
# Residents in the loop (issue 15)


class HotlineForm(CaseForm):
    """The 12345 intake form of the center: the caller (kept private), the ticket, then the case."""

    caller_name = forms.CharField(label=_("来电人"), max_length=60, required=False)
    caller_phone = forms.CharField(label=_("来电号码"), max_length=20)
    hotline_ticket = forms.CharField(label=_("热线工单号"), max_length=40)
    description = forms.CharField(label=_("描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))

    field_order = ["caller_phone", "caller_name", "hotline_ticket", "category", "urgency", "title", "description"]


class PublicReportForm(forms.Form):
    """/report/: what a resident can tell us without an account, plus the anti-spam challenge."""

    category = forms.ModelChoiceField(
        label=_("问题类别"), queryset=Category.objects.filter(active=True), empty_label=_("请选择类别")
    )
    description = forms.CharField(label=_("问题描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    address = forms.CharField(label=_("地址(选填)"), max_length=200, required=False)
    phone = forms.CharField(
        label=_("手机号(选填,用于短信告知进度)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    challenge = forms.CharField(widget=forms.HiddenInput, max_length=300)
    answer = forms.IntegerField(label=_("验证:请计算"), widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


class ResidentRatingForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("您对办理结果满意吗?"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("意见(选填)"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
