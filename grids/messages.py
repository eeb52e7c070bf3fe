"""Stored messages in the reader's language.

Notifications (and other stored system texts) keep a message key and its parameters, never a
finished sentence: the sentence is rendered when someone reads it, in the language of that request
(the language switch, or `Accept-Language` for the API), as Zulip renders at read time.

Each app declares its messages in its own `messages.py` with `define()`; they are discovered when
the app registry is ready (`grids.apps`). A parameter that is itself a translatable label is stored
as `label(msgid)` and translated at render time too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext


@dataclass(frozen=True)
class Template:
    key: str
    title: Promise | str
    body: Promise | str = ""


REGISTRY: dict[str, Template] = {}


def define(key: str, title: Promise | str, body: Promise | str = "") -> str:
    """Declare a message; `title` and `body` are lazy translations with %(name)s placeholders."""
    if key in REGISTRY and REGISTRY[key] != Template(key, title, body):
        raise ValueError(f"message {key!r} is defined twice")
    REGISTRY[key] = Template(key, title, body)
    return key


def label(msgid: str | Promise) -> dict[str, str]:
    """A parameter translated at render time: pass the (already marked) Chinese msgid, or a lazy
    translation such as a choice's `.label` (stored as its msgid, whatever language is active)."""
    if isinstance(msgid, Promise):
        with translation.override(None):
            return {"msgid": str(msgid)}
    return {"msgid": str(msgid)}


def _param(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"msgid"}:
        return gettext(value["msgid"])
    if isinstance(value, list):
        return "、".join(str(_param(v)) for v in value)
    return value


class _Params(dict):
    """Missing parameters render as an empty string rather than crashing an inbox."""

    def __missing__(self, key: str) -> str:
        return ""


def render(key: str, params: dict | None, part: str = "title", *, fallback: str = "") -> str:
    """The message `key` with `params`, in the active language. Unknown keys give `fallback`."""
    template = REGISTRY.get(key)
    if template is None:
        return fallback
    text = getattr(template, part)
    if not text:
        return fallback
    values = _Params({k: _param(v) for k, v in (params or {}).items()})
    try:
        return str(text) % values
    except (TypeError, ValueError):
        return str(text)


# Field work (帮教): an overdue follow-up visit, sent to the helper and the town center.
from django.utils.translation import gettext_lazy  # noqa: E402

FOLLOW_UP_OVERDUE = define(
    "field.follow_up_overdue",
    gettext_lazy("帮教走访逾期:%(name)s"),
    gettext_lazy("%(kind)s %(name)s 的帮教走访已于 %(due)s 到期,请尽快走访。"),
)
