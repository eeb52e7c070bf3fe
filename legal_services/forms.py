"""Forms of the legal-services pages, also used to parse the API's action bodies. They parse and
validate input; who may do what is decided by selectors and the workflow table, not here."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import Area, Level, Resident, User

from .models import (
    AdviserLogKind,
    AidApplication,
    ConsultationChannel,
    LawTopic,
    Lawyer,
    MatterKind,
    ServicePointKind,
    SpecialGroup,
)
from .selectors import residents_for_legal, writable_areas


class ResidentIdField(forms.ModelChoiceField):
    """A resident picked by id (the register has thousands: no drop-down)."""

    widget = forms.NumberInput

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Resident.objects.none())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class UserForm(forms.Form):
    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for name in ("resident",):
            if name in self.fields:
                self.fields[name].queryset = residents_for_legal(user)
        if "area" in self.fields:
            self.fields["area"].queryset = writable_areas(user).filter(
                level__in=[Level.TOWN, Level.VILLAGE, Level.GRID, Level.DISTRICT]
            )


class ConsultationForm(UserForm):
    topic = forms.ChoiceField(label=_("咨询事项"), choices=MatterKind.choices)
    channel = forms.ChoiceField(label=_("渠道"), choices=ConsultationChannel.choices, widget=forms.RadioSelect)
    resident = ResidentIdField(label=_("居民编号"))
    name = forms.CharField(label=_("咨询人姓名"), max_length=50, required=False)
    question = forms.CharField(label=_("咨询内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    answer = forms.CharField(
        label=_("答复(可稍后填写)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    area = forms.ModelChoiceField(label=_("所属区域"), queryset=Area.objects.none(), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("resident") and not (data.get("name") or "").strip():
            self.add_error("name", _("请选择居民或填写咨询人姓名"))
        return data


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("答复"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class AidReferForm(forms.Form):
    """Consultation → legal aid: what the application needs beyond the consultation."""

    monthly_income = forms.DecimalField(
        label=_("家庭人均月收入(元)"), required=False, min_value=0, max_digits=9, decimal_places=2
    )
    special_group = forms.ChoiceField(label=_("特殊群体"), choices=SpecialGroup.choices, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    phone = forms.CharField(label=_("电话"), max_length=20, required=False)
    note = forms.CharField(label=_("转介说明"), max_length=500, required=False)

    def __init__(self, *args, user: User | None = None, consultation=None, **kwargs):
        self.user, self.consultation = user, consultation
        super().__init__(*args, **kwargs)


class AidApplyForm(UserForm):
    matter = forms.ChoiceField(label=_("案件类型"), choices=MatterKind.choices)
    reason = forms.CharField(label=_("申请事由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    resident = ResidentIdField(label=_("居民编号"))
    name = forms.CharField(label=_("申请人姓名"), max_length=50, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    phone = forms.CharField(label=_("电话"), max_length=20, required=False)
    monthly_income = forms.DecimalField(
        label=_("家庭人均月收入(元)"), required=False, min_value=0, max_digits=9, decimal_places=2
    )
    special_group = forms.ChoiceField(label=_("特殊群体"), choices=SpecialGroup.choices, required=False)
    area = forms.ModelChoiceField(label=_("所属区域"), queryset=Area.objects.none(), required=False)


# -- aid actions -----------------------------------------------------------------------------


class ActionForm(forms.Form):
    def __init__(self, *args, user: User, application: AidApplication, **kwargs):
        self.user, self.application = user, application
        super().__init__(*args, **kwargs)


class EmptyForm(ActionForm):
    pass


class ApproveForm(ActionForm):
    comment = forms.CharField(
        label=_("审查意见"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RefuseForm(ActionForm):
    reason = forms.CharField(label=_("不予援助理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(ActionForm):
    lawyer = forms.ModelChoiceField(label=_("承办律师"), queryset=Lawyer.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        path = self.application.area_path
        codes = [c for c in path.split("/") if c]
        # The application's area or anywhere above it (a district lawyer), or below it.
        self.fields["lawyer"].queryset = Lawyer.objects.filter(
            Q(area__code__in=codes) | Q(area_path__startswith=path)
        ).order_by("name")


class CloseForm(ActionForm):
    outcome = forms.CharField(label=_("办理结果"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "review": EmptyForm,
    "approve": ApproveForm,
    "refuse": RefuseForm,
    "assign": AssignForm,
    "close": CloseForm,
}


def action_form(action: str, *, user: User, application: AidApplication, data=None) -> ActionForm:
    return ACTION_FORMS[action](data, user=user, application=application, auto_id=f"id_{action}_%s")


def errors_of(form: forms.Form) -> ValidationError:
    return ValidationError({field: [str(m) for m in msgs] for field, msgs in form.errors.items()})


# -- registries and 普法 ---------------------------------------------------------------------


class EventForm(UserForm):
    held_on = forms.DateField(label=_("活动日期"), widget=forms.DateInput(attrs={"type": "date"}))
    topic = forms.ChoiceField(label=_("主题"), choices=LawTopic.choices)
    title = forms.CharField(label=_("活动名称"), max_length=200, required=False)
    place = forms.CharField(label=_("地点"), max_length=200)
    organiser = forms.CharField(label=_("主办单位"), max_length=100, required=False)
    audience = forms.IntegerField(label=_("受众人数"), min_value=0, max_value=1_000_000)
    materials = forms.IntegerField(label=_("发放资料(份)"), min_value=0, max_value=10_000_000, initial=0)
    area = forms.ModelChoiceField(label=_("区域"), queryset=Area.objects.none())
    case = forms.IntegerField(label=_("关联事项编号(可选)"), required=False, min_value=1)
    photo = forms.ImageField(label=_("照片"), required=False)


class SavvyForm(UserForm):
    resident = ResidentIdField(label=_("居民编号"), required=True)
    village = forms.ModelChoiceField(label=_("服务村社区"), queryset=Area.objects.none())
    since = forms.DateField(label=_("认定日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = writable_areas(self.user).filter(level=Level.VILLAGE)


class TrainingForm(forms.Form):
    held_on = forms.DateField(label=_("培训日期"), widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(label=_("学时"), min_value=0.5, max_value=80, max_digits=4, decimal_places=1)
    topic = forms.CharField(label=_("培训主题"), max_length=200)


class AdviserLogForm(forms.Form):
    village = forms.ModelChoiceField(label=_("村社区"), queryset=Area.objects.none())
    happened_on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("服务类型"), choices=AdviserLogKind.choices)
    note = forms.CharField(label=_("内容"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, lawyer: Lawyer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = lawyer.villages.all().order_by("path")


class ServicePointFilter(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=[("", _("全部类型"))] + ServicePointKind.choices, required=False)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), max_length=100, required=False)


class LessonForm(UserForm):
    source_kind = forms.ChoiceField(label=_("来源类型"), choices=[("case", _("事项")), ("dispute", _("矛盾纠纷"))])
    source_id = forms.IntegerField(label=_("来源编号"), min_value=1)
    title = forms.CharField(label=_("标题"), max_length=200)
    lesson = forms.CharField(label=_("以案释法"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6}))
    law_refs = forms.CharField(label=_("相关法条"), max_length=300, required=False)
    area = forms.ModelChoiceField(label=_("区域"), queryset=Area.objects.none())
