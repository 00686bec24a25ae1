"""
Single-use links mailed for account flows: verify an email address, reset a
forgotten password, confirm a new address.

A link's token is 256 random bits; only its SHA-256 is stored (AccountToken),
so it is looked up by its digest and a copy of the table holds no usable
link. A token is good once, for one purpose, until it expires; issuing a
newer one for the same purpose ends the older; a reset token also dies when
the password changes by any means (it carries a digest of the password hash
it was issued under), and a verification token when the address changes.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from accounts.models import AccountToken, SigninChallenge, key_hash

Purpose = AccountToken.Purpose

TTL_SETTINGS = {
    Purpose.VERIFY_EMAIL: "EMAIL_VERIFICATION_TTL",
    Purpose.RESET_PASSWORD: "PASSWORD_RESET_TTL",
    Purpose.CHANGE_EMAIL: "EMAIL_VERIFICATION_TTL",
}
# Where each link leads, under ACCOUNT_LINK_BASE_URL (or the backend's own
# pages, accounts.pages).
LINK_PATHS = {
    Purpose.VERIFY_EMAIL: "/verify-email",
    Purpose.RESET_PASSWORD: "/reset-password",
    Purpose.CHANGE_EMAIL: "/confirm-email",
}
INVALID = (
    "This link is invalid or has expired (or was already used): ask for a new one."
)


def _password_digest(user):
    return key_hash(user.password or "")


def issue(user, purpose, email=None):
    """A new token for `user` and `purpose` (ending older ones); the raw token."""
    token = secrets.token_urlsafe(32)
    ttl = getattr(settings, TTL_SETTINGS[purpose])
    with transaction.atomic():
        AccountToken.objects.filter(user=user, purpose=purpose).delete()
        AccountToken.objects.create(
            user=user,
            purpose=purpose,
            key_hash=key_hash(token),
            email=email or user.email,
            password_digest=_password_digest(user),
            expires_at=timezone.now() + dt.timedelta(seconds=ttl),
        )
    return token


def link(base_url, purpose, token):
    return f"{base_url}{LINK_PATHS[purpose]}?token={token}"


def redeem(token, purpose):
    """
    The AccountToken `token` stands for, used up (deleted) in the caller's
    transaction; a 400 naming `token` if it is unknown, expired, for another
    purpose, or outlived by a password or address change.
    """
    if not isinstance(token, str) or not token or len(token) > 100:
        raise ValidationError({"token": [INVALID]})
    row = (
        AccountToken.objects.live()
        .select_for_update()
        .select_related("user")
        .filter(key_hash=key_hash(token), purpose=purpose)
        .first()
    )
    if row is None or not row.user.is_active:
        raise ValidationError({"token": [INVALID]})
    stale = (
        purpose == Purpose.RESET_PASSWORD
        and row.password_digest != _password_digest(row.user)
    ) or (purpose == Purpose.VERIFY_EMAIL and row.email != row.user.email)
    row.delete()
    if stale:
        raise ValidationError({"token": [INVALID]})
    return row


def prune():
    """Delete expired link tokens and sign-in challenges; how many."""
    now = timezone.now()
    tokens, _ = AccountToken.objects.filter(expires_at__lte=now).delete()
    challenges, _ = SigninChallenge.objects.filter(expires_at__lte=now).delete()
    return tokens + challenges
