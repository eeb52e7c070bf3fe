"""A party's and a legal-aid applicant's ID number and phone are checked by the model (as for
residents), so every ModelForm, the admin's included, refuses a bad value with a field error."""

import pytest
from django.core.exceptions import ValidationError

from disputes.mediation.models import Party
from legal_services.models import AidApplication

VALID_ID = "11010519491231002X"


@pytest.mark.parametrize("model", [Party, AidApplication])
def test_identifiers_are_validated_by_the_model(model):
    id_number, phone = model._meta.get_field("id_number"), model._meta.get_field("phone")
    assert id_number.clean(VALID_ID, None) == VALID_ID
    assert phone.clean("13912345678", None) == "13912345678"
    assert id_number.clean("", None) == "" and phone.clean("", None) == ""  # both optional
    for bad in ("110105194912310021", "11010519491231002x", "not a number"):
        with pytest.raises(ValidationError):
            id_number.clean(bad, None)
    with pytest.raises(ValidationError):
        phone.clean("12345", None)
