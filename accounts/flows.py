"""
Account recovery and verification, below the views and pages that share
them: each runs in one transaction, redeeming a mailed link's token
(accounts.links) and enqueuing the notices that follow (accounts.mail).
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, ValidationError

from accounts import links, two_factor
from accounts.links import Purpose
from accounts.mail import mail_user
from accounts.models import ApiToken, User
from accounts.serializers import EMAIL_TAKEN, validate_new_password
from accounts.sessions import revoke_sessions
from accounts.throttles import authenticate_signin
from api.exceptions import CodedProblem


class EmailNotVerified(CodedProblem):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = (
        "Verify your email address first: a fresh link is on its way to it."
    )
    default_code = "email_not_verified"


def sign_in(request, email, password):
    """
    Check a sign-in (the per-email lockout included): `(user, None)` to open
    a session, or `(user, challenge)` when two-factor sign-in is on (no
    session until it is completed). A wrong password is a 401; an address
    not yet verified, when REQUIRE_EMAIL_VERIFICATION is on, a 403 with a
    fresh link mailed.
    """
    user = authenticate_signin(request, email, password)
    if user is None:
        # One answer for an unknown email and a wrong password.
        raise AuthenticationFailed("Incorrect email or password.")
    if settings.REQUIRE_EMAIL_VERIFICATION and not user.email_verified:
        mail_user(request, "verify_email", user)
        raise EmailNotVerified()
    if two_factor.enabled(user):
        return user, two_factor.challenge(user)
    return user, None


def sign_up_unverified(request, signup):
    """
    Sign-up under REQUIRE_EMAIL_VERIFICATION (`signup` a valid
    SignupSerializer): a new account gets a verification link; an address
    already taken gets, instead, a mail telling its owner. No session either
    way, so the answer cannot tell the two apart.
    """
    email = signup.validated_data["email"]
    with transaction.atomic():
        existing = User.objects.filter(email=email).first()
        if existing is None:
            try:
                mail_user(request, "verify_email", signup.save())
                return
            except ValidationError:  # taken meanwhile by a concurrent sign-up
                existing = User.objects.get(email=email)
        mail_user(request, "signup_attempt", existing)


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


def request_email_change(request, user, new_email):
    """Mail a confirmation link to `new_email` and a notice to the current address."""
    with transaction.atomic():
        mail_user(request, "confirm_email", user, new_email=new_email)
        mail_user(request, "email_change_requested", user, new_email=new_email)


def confirm_email_change(request, token):
    """
    Move the account to the address a confirmation link was mailed to, now
    verified; sessions are kept, and a notice goes to the old address. The
    address must still be free (400 naming `token` otherwise).
    """
    with transaction.atomic():
        row = links.redeem(token, Purpose.CHANGE_EMAIL)
        user, old_email = row.user, row.user.email
        taken = User.objects.filter(email=row.email).exclude(pk=user.pk).exists()
        if taken:
            raise ValidationError({"token": [EMAIL_TAKEN]})
        user.email, user.email_verified = row.email, True
        try:
            with transaction.atomic():
                user.save(update_fields=["email", "email_verified", "updated_at"])
        except IntegrityError:  # taken meanwhile, by a concurrent sign-up
            raise ValidationError({"token": [EMAIL_TAKEN]}) from None
        mail_user(request, "email_changed", user, to=old_email, new_email=row.email)
    return user
