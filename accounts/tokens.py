"""Personal API tokens: issued once, stored hashed, sent as `Bearer tda_...`."""

import datetime as dt
import secrets

from django.utils import timezone
from rest_framework import exceptions

from accounts.models import LAST_USED_RESOLUTION, ApiToken, key_hash


def issue(user, name, scopes, expires_in_days):
    """A new token for `user`: the stored row and the token, shown this once."""
    token = ApiToken.PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    row = ApiToken.objects.create(
        user=user,
        name=name,
        scopes=scopes,
        key_hash=key_hash(token),
        created_at=now,
        expires_at=now + dt.timedelta(days=expires_in_days),
    )
    return row, token


def authenticate(token):
    """The (user, ApiToken) a bearer API token stands for; 401 if none."""
    row = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(key_hash=key_hash(token))
        .first()
    )
    if row is None or not row.user.is_active:
        raise exceptions.AuthenticationFailed("Invalid or expired token.")
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row.user, row
