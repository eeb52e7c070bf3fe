import pytest
from django.core.exceptions import ValidationError

from grids.validators import mask, normalize_id_number, normalize_phone
from tests.grids.conftest import check_digit

VALID_BODY = "11010519491231002"  # the GB 11643 worked example: check digit X
VALID_ID = VALID_BODY + "X"


def test_valid_id_number_is_accepted_and_upper_cased():
    assert check_digit(VALID_BODY) == "X"
    assert normalize_id_number(VALID_ID.lower()) == VALID_ID
    assert normalize_id_number(f"  {VALID_ID}  ") == VALID_ID


@pytest.mark.parametrize(
    "value",
    [
        VALID_BODY + "1",  # wrong check digit
        "11010519491331002X",  # month 13
        "1101051949123100",  # too short
        "ABCDEFGHIJKLMNOPQR",
        "",
    ],
)
def test_invalid_id_numbers_are_rejected(value):
    with pytest.raises(ValidationError) as exc:
        normalize_id_number(value)
    assert exc.value.code == "invalid_id_number"


def test_every_wrong_check_digit_is_rejected():
    body = "15020719800517001"
    right = check_digit(body)
    assert normalize_id_number(body + right) == body + right
    for wrong in "0123456789X":
        if wrong != right:
            with pytest.raises(ValidationError):
                normalize_id_number(body + wrong)


def test_mask_id_number_keeps_region_prefix_and_last_four():
    assert mask(VALID_ID, "id_number") == "1101**********002X"
    assert mask("", "id_number") == ""
    assert mask("12345", "id_number") == "*****"


def test_mask_phone():
    assert mask("13912345678", "phone") == "139****5678"
    assert mask("", "phone") == ""
    assert mask("123456", "phone") == "******"  # too short to keep its ends: nothing shown


def test_normalize_phone():
    assert normalize_phone("+86 139 1234 5678") == "13912345678"
    assert normalize_phone("") == ""
    with pytest.raises(ValidationError):
        normalize_phone("12345")
