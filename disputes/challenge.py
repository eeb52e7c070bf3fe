"""Abuse controls for what arrives without a login: a per-key rate limit in the cache (Redis in
production, shared by every web process) and a signed arithmetic challenge for /report/ that
needs no third-party service. The challenge is signed with the SECRET_KEY, expires after an hour
and is good for one answer only."""

from __future__ import annotations

import secrets

from django.core import signing
from django.core.cache import cache

SALT = "disputes.report-challenge"
MAX_AGE = 3600


def rate_limited(key: str, *, limit: int, window: int = 60) -> bool:
    """Count one hit on `key` in the current window; True when the limit is exceeded."""
    cache_key = f"rl:{key}"
    cache.add(cache_key, 0, window)
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, window)
        hits = 1
    return hits > limit


def issue() -> tuple[str, str]:
    """(signed token, question) — e.g. "7 + 12"."""
    a, b = secrets.randbelow(20) + 1, secrets.randbelow(20) + 1
    token = signing.dumps({"a": a, "b": b, "n": secrets.token_hex(8)}, salt=SALT, compress=True)
    return token, f"{a} + {b}"


def question(token: str) -> str | None:
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    return f"{data['a']} + {data['b']}"


def verify(token: str, answer: int | None) -> bool:
    """The right answer to an unexpired challenge not answered before."""
    try:
        data = signing.loads(token or "", salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return False
    if answer is None or int(answer) != data["a"] + data["b"]:
        return False
    return cache.add(f"challenge:{data['n']}", 1, MAX_AGE)  # single use
