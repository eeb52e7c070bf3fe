"""FastSelect renders exactly what Django's Select renders, without a template per option."""

import pytest
from django import forms

from grids.models import Area
from grids.widgets import FastSelect

pytestmark = pytest.mark.django_db

CHOICES = [("", "全部"), ("a", "A & <b>"), (3, "三")]


@pytest.mark.parametrize("value", ["", "a", "3", 3, None])
def test_same_html_as_djangos_select(value):
    attrs = {"class": "x", "required": True, "disabled": False}
    expected = forms.Select(choices=CHOICES, attrs=attrs).render("f", value, {"id": "id_f"})
    assert FastSelect(choices=CHOICES, attrs=attrs).render("f", value, {"id": "id_f"}) == expected


def test_same_html_for_a_model_choice_field(territory):
    class Slow(forms.Form):
        area = forms.ModelChoiceField(queryset=Area.objects.order_by("path"), required=False, empty_label="全部区域")

    class Fast(Slow):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["area"].widget = FastSelect()
            self.fields["area"].widget.choices = self.fields["area"].choices

    chosen = {"area": str(territory.towns[0].pk)}
    assert str(Fast(chosen)["area"]) == str(Slow(chosen)["area"])
    assert str(Fast()["area"]) == str(Slow()["area"])
