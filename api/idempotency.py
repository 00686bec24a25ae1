"""
Idempotent retries of POSTs: the `Idempotency-Key` request header.

The first request with a key claims it (a committed row, so every app server
sees the claim), runs, and stores its answer in the same transaction as its
writes. A retry with the same key and body gets the stored answer again; the
same key with another body is a 422; a retry while the first still runs is a
409. Answers of 5xx and raised errors are not stored: nothing was written,
and the retry runs afresh.

Hand-written, although packages exist: django-idempotency-key supports
Django up to 4.2; drf-idempotency and drf-idempotencykey record the answer
from a middleware or mixin once the view has returned (in Redis or a row of
their own), outside the transaction of the view's writes, so a crash between
the two commits leaves a write whose retry runs again. Here the answer is
stored in the write's own transaction: both commit, or neither.
"""

import datetime as dt
import hashlib
import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.exceptions import Conflict, UnprocessableContent
from api.models import IdempotencyKey

HEADER = "Idempotency-Key"
# Headers of the first answer that a replay repeats.
REPLAYED_HEADERS = ("Location", "ETag")
# A claim this old whose request never finished (its server died) is void.
ABANDONED_AFTER = dt.timedelta(minutes=1)


def _valid_key(key):
    return 1 <= len(key) <= 255 and all(" " <= char <= "~" for char in key)


def _fingerprint(request):
    canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(
        f"{request.method} {request.path}\n{canonical}".encode()
    ).hexdigest()


def _claim(user, key, fingerprint):
    """The new claim, or the stored record for this key."""
    now = timezone.now()
    expires_at = now + dt.timedelta(seconds=settings.IDEMPOTENCY_TTL)
    for _ in range(2):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    user=user, key=key, fingerprint=fingerprint, expires_at=expires_at
                ), None
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(user=user, key=key).first()
            if existing is None:
                continue  # removed meanwhile: claim again
            stale = (
                existing.status is None and existing.created_at < now - ABANDONED_AFTER
            )
            if existing.expires_at <= now or stale:
                existing.delete()
                continue
            return None, existing
    raise Conflict("A request with this Idempotency-Key is in progress; retry later.")


def idempotent(request, handler):
    """Run `handler()` (which answers the POST) at most once per key."""
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if not _valid_key(key):
        raise ValidationError({HEADER: ["Use 1 to 255 printable ASCII characters."]})
    fingerprint = _fingerprint(request)
    claim, existing = _claim(request.user, key, fingerprint)
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        with transaction.atomic():
            response = handler()
            if response.status_code >= 500:
                raise _NotStored(response)
            claim.status = response.status_code
            claim.body = response.data
            claim.headers = {
                name: response[name] for name in REPLAYED_HEADERS if name in response
            }
            claim.save(update_fields=["status", "body", "headers"])
            return response
    except _NotStored as not_stored:
        claim.delete()
        return not_stored.response
    except BaseException:
        claim.delete()
        raise


class _NotStored(Exception):
    def __init__(self, response):
        self.response = response


def _replay(record, fingerprint):
    if record.fingerprint != fingerprint:
        raise UnprocessableContent(
            "This Idempotency-Key was used with a different request body."
        )
    if record.status is None:
        raise Conflict(
            "A request with this Idempotency-Key is in progress; retry later."
        )
    return Response(
        record.body,
        status=record.status,
        headers={**record.headers, "Idempotent-Replayed": "true"},
    )


def purge_expired():
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
