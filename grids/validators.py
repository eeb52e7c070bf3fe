"""Validation and masking of personal identifiers: Chinese resident ID numbers (GB 11643) and phones."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError


def normalize_id_number(value: str) -> str:
    """Validate a resident ID number with its check digit and return it upper-cased."""
    value = (value or "").strip().upper()
    try:
        return ric.validate(value)
    except StdnumError as exc:
        raise ValidationError(_("身份证号无效(校验位或格式错误)"), code="invalid_id_number") from exc


# What stays visible of a masked identifier: (leading, trailing) characters.
MASK_KEEP = {"id_number": (4, 4), "phone": (3, 4)}


def mask(value: str, kind: str) -> str:
    """The one masking rule for personal identifiers: the ID number keeps its region prefix and
    last four (1101**********123X), a phone its carrier prefix and last four (139****5678). A value
    too short to hide anything behind its visible ends is masked whole."""
    if not value:
        return ""
    head, tail = MASK_KEEP[kind]
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def normalize_phone(value: str) -> str:
    """Validate a Chinese mobile or landline number; returns E.164 digits without the +86."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("电话号码无效"), code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("电话号码无效"), code="invalid_phone")
    if parsed.country_code == 86:
        return str(parsed.national_number)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def validate_id_number(value: str) -> None:
    """Model-field validator: a resident ID number with a valid check digit and date, stored as
    the importer stores it (upper-case X, no spaces)."""
    if normalize_id_number(value) != value:
        raise ValidationError(_("身份证号请使用大写 X,不含空格"), code="invalid_id_number")


def validate_phone(value: str) -> None:
    """Model-field validator: a Chinese mobile or landline number (blank allowed by the field)."""
    if value:
        normalize_phone(value)
