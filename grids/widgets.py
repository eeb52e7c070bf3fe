"""Form widgets that render in plain Python: a `<select>` of hundreds of options through Django's
per-option templates costs more than the rest of a list page (see bench/README.md, "Profile").
Same HTML as `forms.Select`, without a template per option."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class FastSelect(forms.Select):
    """`forms.Select` rendered without templates (no option groups)."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        final = {"name": name, **self.build_attrs(self.attrs, attrs)}
        options = []
        for option_value, label in self.choices:
            key = "" if option_value is None else str(option_value)
            if isinstance(label, (list, tuple)):  # an option group: leave it to Django
                return super().render(name, value, attrs, renderer)
            options.append(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    key,
                    mark_safe(" selected") if key in selected else "",
                    label,
                )
            )
            if key in selected and not self.allow_multiple_selected:
                selected = set()  # like Django: only the first match is selected
        return mark_safe(f"<select{_attrs(final)}>\n  " + "\n\n  ".join(options) + "\n\n</select>")


def _attrs(attrs: dict) -> str:
    """As Django's `django/forms/widgets/attrs.html`: in order, booleans bare, False left out."""
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
        for name, value in attrs.items()
        if value is not False
    )
