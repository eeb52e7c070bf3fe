"""Forms of field work: patrols, visits and door-to-door registration. They parse input; the
services decide who may do what and validate the domain rules (ID check digit, phone, scope)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .field_models import NOTE_MAX, VisitPurpose
from .models import Area, Building, Household, Level, Resident, SpecialPopulation
from .selectors import households_visible_to, patrol_grids_for, residents_visible_to


class PatrolStartForm(forms.Form):
    grid = forms.ModelChoiceField(label=_("巡查网格"), queryset=Area.objects.none(), empty_label=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = Area.objects.filter(pk__in=[g.pk for g in patrol_grids_for(user)])


class PatrolEndForm(forms.Form):
    nothing_found = forms.BooleanField(label=_("未发现问题(零报告)"), required=False)
    note = forms.CharField(
        label=_("巡查记录"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class VisitForm(forms.Form):
    household = forms.ModelChoiceField(
        label=_("走访户"), queryset=Household.objects.none(), required=False, empty_label=_("请选择户")
    )
    resident = forms.ModelChoiceField(
        label=_("走访居民(可选)"), queryset=Resident.objects.none(), required=False, empty_label=_("整户走访")
    )
    purpose = forms.ChoiceField(label=_("走访目的"), choices=VisitPurpose.choices, initial=VisitPurpose.ROUTINE)
    note = forms.CharField(
        label=_("走访记录"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photo = forms.FileField(label=_("照片(可选)"), required=False)

    def __init__(self, *args, user, area: Area, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = (
            households_visible_to(user).filter(area_path__startswith=area.path).order_by("number")
        )
        self.fields["household"].label_from_instance = household_label
        self.fields["resident"].queryset = (
            residents_visible_to(user).filter(area_path__startswith=area.path).order_by("household_id", "name")
        )
        self.fields["resident"].label_from_instance = lambda r: f"{r.name}"
        self.fields["photo"].widget.attrs.update({"accept": "image/*", "capture": "environment"})

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("household") and not cleaned.get("resident"):
            self.add_error("household", _("请选择走访的户或居民"))
        return cleaned


def household_label(h: Household) -> str:
    place = " ".join(p for p in (h.building.name if h.building_id else "", h.unit, h.room) if p)
    return f"{h.number} {place or h.address}".strip()


class HouseholdForm(forms.Form):
    micro_grid = forms.ModelChoiceField(label=_("微网格"), queryset=Area.objects.none(), empty_label=None)
    building = forms.ModelChoiceField(
        label=_("楼栋"), queryset=Building.objects.none(), required=False, empty_label=_("无(平房、村组)")
    )
    unit = forms.CharField(label=_("单元"), max_length=20, required=False)
    room = forms.CharField(label=_("门牌/室号"), max_length=20, required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    rental = forms.BooleanField(label=_("出租房屋"), required=False)

    def __init__(self, *args, micro_grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["micro_grid"].queryset = micro_grids
        self.fields["building"].queryset = Building.objects.filter(micro_grid__in=micro_grids).order_by("name")


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=18)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    floating = forms.BooleanField(label=_("流动人口"), required=False)
    special_population = forms.ChoiceField(label=_("特殊人群"), choices=SpecialPopulation.choices, required=False)


class FollowUpForm(forms.Form):
    helper = forms.ModelChoiceField(label=_("帮教责任人"), queryset=Resident.objects.none(), empty_label=None)
    frequency_days = forms.IntegerField(label=_("走访周期(天)"), min_value=1, max_value=366, initial=30)

    def __init__(self, *args, resident: Resident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["helper"].queryset = helpers_for(resident)
        self.fields["helper"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


def helpers_for(resident: Resident):
    """Who may be a helper: the grid workers, chiefs and center staff over the resident's area."""
    from .models import Membership, Role, User

    codes = [c for c in resident.area_path.split("/") if c]
    users = Membership.objects.filter(
        area__code__in=codes, role__in=[Role.GRID_WORKER, Role.GRID_CHIEF, Role.CENTER_STAFF], user__is_active=True
    ).values("user_id")
    return User.objects.filter(pk__in=users).order_by("username")


def micro_grids_for_registrar(user, registrar_areas: list[Area]):
    paths = [a.path for a in registrar_areas]
    qs = Area.objects.filter(level=Level.MICRO_GRID)
    from functools import reduce
    from operator import or_

    from django.db.models import Q

    if not paths:
        return qs.none()
    return qs.filter(reduce(or_, (Q(path__startswith=p) for p in paths))).order_by("code")
