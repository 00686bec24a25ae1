"""
Account recovery and verification, below the views and pages that share
them: each runs in one transaction, redeeming a mailed link's token
(accounts.links) and enqueuing the notices that follow (accounts.mail).
"""

from django.db import transaction

from accounts import links
from accounts.links import Purpose
from accounts.mail import mail_user
from accounts.models import ApiToken
from accounts.serializers import validate_new_password
from accounts.sessions import revoke_sessions


def reset_password(request, token, new_password):
    """
    Set a new password with a reset link's token: every session and API
    token of the account ends, and a notice goes to its address. A new
    password the validators refuse (400 naming `new_password`) leaves the
    link usable.
    """
    with transaction.atomic():
        user = links.redeem(token, Purpose.RESET_PASSWORD).user
        validate_new_password(new_password, user)
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        revoke_sessions(user)
        ApiToken.objects.for_user(user).delete()
        mail_user(request, "password_reset", user)
    return user


def verify_email(token):
    """Mark the address a verification link was mailed to as verified."""
    with transaction.atomic():
        user = links.redeem(token, Purpose.VERIFY_EMAIL).user
        if not user.email_verified:
            user.email_verified = True
            user.save(update_fields=["email_verified", "updated_at"])
    return user
