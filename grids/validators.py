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


def mask_id_number(value: str) -> str:
    """1101**********123X: region prefix and last four kept."""
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


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


def mask_phone(value: str) -> str:
    if len(value) < 7:
        return value
    return value[:3] + "****" + value[-4:]


def validate_id_number(value: str) -> None:
    """Model-field validator: a resident ID number with a valid check digit and date, stored as
    the importer stores it (upper-case X, no spaces)."""
    if normalize_id_number(value) != value:
        raise ValidationError(_("身份证号请使用大写 X,不含空格"), code="invalid_id_number")


def validate_phone(value: str) -> None:
    """Model-field validator: a Chinese mobile or landline number (blank allowed by the field)."""
    if value:
        normalize_phone(value)
