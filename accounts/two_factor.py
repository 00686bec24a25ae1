"""
Two-factor sign-in: TOTP codes (RFC 6238, with pyotp) from an authenticator
app, or one-time recovery codes, asked for after a right password.

- setup() makes a secret and shows it (with its otpauth:// URI and a QR
  code, an SVG a front end can show as is); enable() turns it on once a code
  from the app proves the app has it, and hands out ten recovery codes (only
  their SHA-256 is stored).
- With it on, a sign-in's right password opens a challenge (challenge()):
  five minutes, single use, dead after five wrong codes; complete() checks
  the code. Wrong codes also count toward the email's sign-in lockout.
- A TOTP code is accepted once: the time step of the last accepted code is
  kept, and a code of that step or an earlier one is refused.
"""

import datetime as dt
import secrets

import pyotp
import segno
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from accounts.models import RecoveryCode, SigninChallenge, TwoFactor, key_hash
from accounts.throttles import SigninLockout

ISSUER = "todoapp"
RECOVERY_CODES = 10
CHALLENGE_TTL = dt.timedelta(minutes=5)
CHALLENGE_MAX_FAILURES = 5
# Codes of the step before and after the current one pass too (clock drift).
VALID_WINDOW = 1
METHODS = ["totp", "recovery_code"]

WRONG_CODE = "This code is not right (or was already used)."
DEAD_CHALLENGE = "This sign-in has expired or failed too often: sign in again."


def _factor(user):
    try:
        return user.two_factor
    except TwoFactor.DoesNotExist:
        return None


def enabled(user):
    factor = _factor(user)
    return factor is not None and factor.enabled_at is not None


def status(user):
    return {
        "enabled": enabled(user),
        "recovery_codes_left": RecoveryCode.objects.filter(user=user).count()
        if enabled(user)
        else 0,
    }


def setup(user):
    """A new (not yet enabled) secret for `user`, as an app would scan it."""
    secret = pyotp.random_base32(length=32)  # 160 bits, RFC 4226's advice
    TwoFactor.objects.update_or_create(
        user=user, defaults={"secret": secret, "enabled_at": None, "last_timestep": 0}
    )
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return {
        "secret": secret,
        "otpauth_uri": uri,
        "qr_svg": segno.make(uri, error="m").svg_inline(scale=4),
    }


def enable(user, code):
    """Turn 2FA on with a first code from the app; the recovery codes."""
    with transaction.atomic():
        factor = TwoFactor.objects.select_for_update().get(user=user)
        if not _totp_matches(factor, code):
            raise ValidationError({"code": [WRONG_CODE]})
        factor.enabled_at = timezone.now()
        factor.save(update_fields=["enabled_at", "last_timestep"])
        return new_recovery_codes(user)


def disable(user):
    TwoFactor.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    SigninChallenge.objects.filter(user=user).delete()


def new_recovery_codes(user):
    """Ten fresh recovery codes (the old ones die), shown this once."""
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=key_hash(_canonical(c))) for c in codes]
    )
    return codes


def verify_second_factor(user, code, field="code"):
    """
    A TOTP code or a recovery code of `user`'s, used up if right; a 400
    naming `field` if not.
    """
    with transaction.atomic():
        if not _second_factor_passes(user, code, code):
            raise ValidationError({field: [WRONG_CODE]})


# --- the challenge of a sign-in ----------------------------------------------


def challenge(user):
    """Open the second step of `user`'s sign-in: its answer body."""
    key = secrets.token_urlsafe(32)
    expires_at = timezone.now() + CHALLENGE_TTL
    SigninChallenge.objects.create(
        key_hash=key_hash(key), user=user, expires_at=expires_at
    )
    return {"challenge": key, "expires_at": expires_at, "methods": METHODS}


def complete(key, code=None, recovery_code=None):
    """
    The user whose challenge `key` a right code completes (the challenge
    used up); a 400 naming the code's field if wrong (counted against the
    challenge and the email's sign-in lockout), naming `challenge` if the
    challenge is unknown, expired, or failed too often.
    """
    with transaction.atomic():
        row = (
            SigninChallenge.objects.select_for_update()
            .select_related("user")
            .filter(key_hash=key_hash(key), expires_at__gt=timezone.now())
            .first()
        )
        if row is None or row.failures >= CHALLENGE_MAX_FAILURES:
            raise ValidationError({"challenge": [DEAD_CHALLENGE]})
        if _second_factor_passes(row.user, code, recovery_code):
            row.delete()
            return row.user
        # Kept: this transaction commits the failure before the 400.
        SigninChallenge.objects.filter(pk=row.pk).update(failures=F("failures") + 1)
    SigninLockout(row.user.email).record_failure()
    field = "code" if code is not None else "recovery_code"
    raise ValidationError({field: [WRONG_CODE]})


def _second_factor_passes(user, code, recovery_code):
    """Whether a TOTP `code` or a `recovery_code` is right, using it up if so."""
    if recovery_code is not None and _use_recovery_code(user, recovery_code):
        return True
    if code is None:
        return False
    factor = TwoFactor.objects.select_for_update().filter(user=user).first()
    if factor is None or not _totp_matches(factor, code):
        return False
    factor.save(update_fields=["last_timestep"])
    return True


# --- codes -------------------------------------------------------------------


def _totp_matches(factor, code):
    """Whether `code` is right and unused; records its time step on `factor`."""
    if not (isinstance(code, str) and code.isascii() and code.isdigit()):
        return False
    totp = pyotp.TOTP(factor.secret)
    current = totp.timecode(timezone.now())
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if step > factor.last_timestep and secrets.compare_digest(
            totp.generate_otp(step), code
        ):
            factor.last_timestep = step
            return True
    return False


def _use_recovery_code(user, code):
    if not isinstance(code, str) or not code.strip():
        return False
    deleted, _ = RecoveryCode.objects.filter(
        user=user, code_hash=key_hash(_canonical(code))
    ).delete()
    return deleted > 0


def _recovery_code():
    raw = secrets.token_hex(5)  # 40 bits each, ten of them, each once
    return f"{raw[:5]}-{raw[5:]}"


def _canonical(code):
    return code.strip().lower().replace("-", "").replace(" ", "")
