"""Forms of the mediation pages and the parsing of action bodies (shared with the API)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Area, Building, Level, Resident, User
from grids.selectors import areas_visible_to, residents_visible_to

from ..models import Case
from ..selectors import cases_visible_to
from .models import Dispute, DisputeKind, DisputeSource, MediationOrg, Mediator, PartyRole, ReferralTarget
from .selectors import orgs_for_dispute, screening_areas_for


class YesNoSelect(forms.NullBooleanSelect):
    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", "—"), ("true", _("是")), ("false", _("否"))]


class YesNoField(forms.NullBooleanField):
    widget = YesNoSelect

    def validate(self, value):
        if value is None:
            raise ValidationError(_("请选择是或否"), code="required")


class ActionForm(forms.Form):
    def __init__(self, *args, user: User, dispute: Dispute, **kwargs):
        self.user, self.dispute = user, dispute
        super().__init__(*args, **kwargs)


class AssignForm(ActionForm):
    organisation = forms.ModelChoiceField(label=_("调解组织"), queryset=MediationOrg.objects.none())
    mediator = forms.ModelChoiceField(label=_("调解员"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = orgs_for_dispute(self.dispute)
        self.fields["mediator"].queryset = User.objects.filter(
            mediator_posts__organisation__in=orgs_for_dispute(self.dispute), mediator_posts__active=True
        ).distinct()
        self.fields["mediator"].label_from_instance = lambda u: u.get_full_name() or u.username


class EmptyForm(ActionForm):
    pass


class SessionForm(ActionForm):
    held_at = forms.DateTimeField(
        label=_("调解时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    place = forms.CharField(label=_("地点"), max_length=200)
    attendees = forms.CharField(label=_("参加人员"), max_length=500)
    notes = forms.CharField(label=_("调解笔录"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_held_at(self):
        value = self.cleaned_data["held_at"]
        if value > timezone.now() + timezone.timedelta(days=1):
            raise ValidationError(_("调解时间不能晚于今天"))
        return value


class AgreeForm(ActionForm):
    terms = forms.CharField(label=_("协议内容"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5}))
    signed_at = forms.DateField(label=_("签订日期"), widget=forms.DateInput(attrs={"type": "date"}))


class FailForm(ActionForm):
    reason = forms.CharField(label=_("原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ReferForm(ActionForm):
    to = forms.ChoiceField(label=_("移送至"), choices=ReferralTarget.choices)
    note = forms.CharField(label=_("说明"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    external_number = forms.CharField(label=_("外部案号"), max_length=60, required=False)


class ConfirmForm(ActionForm):
    court_confirmed = YesNoField(label=_("法院已司法确认"))
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class FulfilForm(ActionForm):
    fulfilled = YesNoField(label=_("协议已履行"))
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class FollowUpForm(ActionForm):
    note = forms.CharField(label=_("回访情况"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    satisfied = YesNoField(label=_("当事人满意"))


class CloseForm(ActionForm):
    comment = forms.CharField(
        label=_("意见"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "assign": AssignForm,
    "accept": EmptyForm,
    "session": SessionForm,
    "agree": AgreeForm,
    "fail": FailForm,
    "refer": ReferForm,
    "confirm": ConfirmForm,
    "fulfil": FulfilForm,
    "follow_up": FollowUpForm,
    "close": CloseForm,
}


def form_for(action: str, *, user: User, dispute: Dispute, data=None) -> ActionForm:
    prefix = action
    if data is not None and not any(k.startswith(f"{prefix}-") for k in data):
        prefix = None  # an API body: plain field names
    return ACTION_FORMS[action](data, user=user, dispute=dispute, prefix=prefix)


# ---------------------------------------------------------------------------------------------
# Intake


class DisputeForm(forms.Form):
    kind = forms.ChoiceField(label=_("纠纷类型"), choices=DisputeKind.choices)
    source = forms.ChoiceField(label=_("来源"), choices=DisputeSource.choices)
    summary = forms.CharField(label=_("纠纷概要"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    area = forms.ModelChoiceField(label=_("所属区域"), queryset=Area.objects.none())
    address = forms.CharField(label=_("地点"), max_length=200, required=False)
    building = forms.ModelChoiceField(label=_("楼栋"), queryset=Building.objects.none(), required=False)
    amount_at_stake = forms.DecimalField(
        label=_("争议金额(元)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    people_involved = forms.IntegerField(label=_("涉及人数"), required=False, min_value=1, max_value=100000)
    case = forms.ModelChoiceField(queryset=Case.objects.none(), required=False, widget=forms.HiddenInput)
    applicant_resident = forms.ModelChoiceField(
        label=_("申请人(居民)"), queryset=Resident.objects.none(), required=False
    )
    applicant_name = forms.CharField(label=_("申请人姓名"), max_length=50, required=False)
    applicant_phone = forms.CharField(label=_("申请人电话"), max_length=20, required=False)
    respondent_resident = forms.ModelChoiceField(
        label=_("被申请人(居民)"), queryset=Resident.objects.none(), required=False
    )
    respondent_name = forms.CharField(label=_("被申请人姓名"), max_length=50, required=False)
    respondent_phone = forms.CharField(label=_("被申请人电话"), max_length=20, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        areas = areas_visible_to(user)
        self.fields["area"].queryset = areas.filter(
            level__in=[Level.TOWN, Level.VILLAGE, Level.GRID, Level.MICRO_GRID]
        ).order_by("path")
        self.fields["area"].label_from_instance = lambda a: f"{'—' * (a.depth - 1)} {a.name}"
        self.fields["building"].queryset = Building.objects.filter(
            micro_grid__in=areas.filter(level=Level.MICRO_GRID)
        ).order_by("name")
        residents = residents_visible_to(user).order_by("name", "id")
        for role in ("applicant", "respondent"):
            self.fields[f"{role}_resident"].queryset = residents
            self.fields[f"{role}_resident"].label_from_instance = lambda r: f"{r.name}({r.micro_grid.name})"
        self.fields["case"].queryset = cases_visible_to(user)

    def clean(self):
        data = super().clean()
        if not (data.get("applicant_resident") or data.get("applicant_name")):
            self.add_error("applicant_name", _("请选择居民或填写姓名"))
        return data

    def parties(self) -> list[dict]:
        result = []
        for role in (PartyRole.APPLICANT, PartyRole.RESPONDENT):
            resident = self.cleaned_data.get(f"{role}_resident")
            name = self.cleaned_data.get(f"{role}_name")
            if resident or name:
                result.append(
                    {"role": role, "resident": resident, "name": name, "phone": self.cleaned_data.get(f"{role}_phone")}
                )
        return result


class DisputeFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("状态"), required=False)
    kind = forms.ChoiceField(label=_("纠纷类型"), required=False)
    risk = forms.ChoiceField(label=_("风险等级"), required=False)
    organisation = forms.ModelChoiceField(
        label=_("调解组织"), queryset=MediationOrg.objects.none(), required=False, empty_label=_("全部组织")
    )
    area = forms.ModelChoiceField(
        label=_("区域"), queryset=Area.objects.none(), required=False, empty_label=_("全部区域")
    )

    def __init__(self, *args, user: User, orgs, **kwargs):
        from .models import DisputeStatus, RiskLevel

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部状态"))] + list(DisputeStatus.choices)
        self.fields["kind"].choices = [("", _("全部类型"))] + list(DisputeKind.choices)
        self.fields["risk"].choices = [("", _("全部风险"))] + list(RiskLevel.choices)
        self.fields["organisation"].queryset = orgs
        self.fields["area"].queryset = areas_visible_to(user).filter(
            level__in=[Level.DISTRICT, Level.TOWN, Level.VILLAGE]
        )


class ScreeningForm(forms.Form):
    area = forms.ModelChoiceField(label=_("村(社区)"), queryset=Area.objects.none())
    month = forms.DateField(
        label=_("月份"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    disputes_found = forms.IntegerField(label=_("排查发现纠纷数"), min_value=0, max_value=10000)
    notes = forms.CharField(label=_("说明"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = screening_areas_for(user).order_by("path")


def mediators_of(org: MediationOrg):
    return Mediator.objects.filter(organisation=org, active=True).select_related("user")
