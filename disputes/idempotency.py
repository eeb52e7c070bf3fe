"""Exactly-once intake: `POST /api/v1/cases/` with an `Idempotency-Key` header (API.md).

The first request with a key makes the case and, in the same transaction, one `IntakeKey` row per
(user, key) holding a hash of the content. A replay with the same content finds the row and answers
with the same case; other content under the same key is refused (409). Two replays racing each other
meet at the unique constraint: the loser's transaction (its case included) rolls back and it answers
with the winner's case.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from .models import Case, IntakeKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 100


class KeyReused(Exception):
    """The key was already used by this user for different content."""


def key_from(request) -> str | None:
    """The request's key, None without one; an empty or over-long key is a 400 field error."""
    if HEADER not in request.headers:
        return None
    key = request.headers[HEADER].strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError({HEADER: [_("幂等键须为 1 到 %(max)d 个字符") % {"max": MAX_KEY_LENGTH}]})
    return key


def content_hash(data, files) -> str:
    """SHA-256 of the body: every field's values as text (JSON and multipart alike) and each file's bytes."""
    items: dict[str, list[str]] = {}
    file_names = set(files.keys()) if files else set()
    getlist = getattr(data, "getlist", None)
    for name in data.keys():
        if name in file_names:
            continue
        values = getlist(name) if getlist else data[name]
        if not isinstance(values, list | tuple):
            values = [values]
        items[name] = [json.dumps(v, sort_keys=True, default=str) if isinstance(v, dict) else str(v) for v in values]
    for name in file_names:
        digests = []
        for upload in files.getlist(name):
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
            digests.append(digest.hexdigest())
        items[name] = ["file:" + d for d in digests]
    text = json.dumps(items, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def replayed(*, user, key: str, digest: str) -> Case | None:
    """The case an earlier request with this key made, None if there was none; KeyReused if its content differed."""
    row = IntakeKey.objects.filter(user=user, key=key).only("content_hash", "case_id").first()
    if row is None:
        return None
    if row.content_hash != digest:
        raise KeyReused(_("此幂等键已用于内容不同的上报"))
    return Case.objects.get(pk=row.case_id)


def create_once(*, user, key: str, digest: str, create: Callable[[], Case]) -> tuple[Case, bool]:
    """(case, created): run `create` once per (user, key); a concurrent twin gets the winner's case."""
    try:
        with transaction.atomic():
            row = IntakeKey.objects.create(user=user, key=key, content_hash=digest)
            case = create()
            IntakeKey.objects.filter(pk=row.pk).update(case=case)
    except IntegrityError:
        case = replayed(user=user, key=key, digest=digest)
        if case is None:
            raise
        return case, False
    return case, True
