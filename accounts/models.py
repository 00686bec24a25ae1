import datetime as dt
import functools
import hashlib
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.timezone import now

from api.rows import ReadWithoutInit


@functools.cache
def _timezone_names():
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value):
    if value not in _timezone_names():
        raise ValidationError(
            "%(value)s is not an IANA time zone name (e.g. Europe/Paris).",
            code="invalid_timezone",
            params={"value": value},
        )


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        # The whole address, not just the domain: emails are unique and
        # matched case-insensitively.
        return (email or "").strip().lower()

    def get_by_natural_key(self, email):
        return self.get(email=self.normalize_email(email))

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)


class User(ReadWithoutInit, AbstractBaseUser, PermissionsMixin):
    """An account; the email address is the login."""

    email = models.EmailField(unique=True)
    # Proved by a link mailed to it (accounts.links); a changed address is
    # verified by the link that confirms it.
    email_verified = models.BooleanField(default=False)
    name = models.CharField(max_length=150, blank=True, default="")
    timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone]
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        constraints = [
            # Stored lower-cased, so the unique index is case-insensitive.
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")),
                name="accounts_user_email_lowercase",
            ),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = UserManager.normalize_email(self.email)
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is not None and "timezone" not in fields:
                return super().save(*args, **kwargs)
            with transaction.atomic():
                zone = type(self).objects.filter(pk=self.pk).values("timezone")
                moved = zone.exclude(timezone=self.timezone).exists()
                super().save(*args, **kwargs)
                if moved:
                    from todos.due import follow_timezone

                    # Floating timed todos are due at another instant now.
                    follow_timezone(self)
            return None
        from todos.ledger import open_account

        # An account comes with its default list, however it is made
        # (sign-up, createsuperuser, the admin, a shell).
        with transaction.atomic():
            super().save(*args, **kwargs)
            open_account(self.pk)
        return None

    def delete(self, *args, **kwargs):
        from todos.sharing import close_account

        # The members of the lists it shares hear of it in their feeds
        # (however it is deleted: the API, the admin, a shell).
        with transaction.atomic():
            close_account(self)
            return super().delete(*args, **kwargs)

    delete.alters_data = True

    def clean(self):
        super().clean()
        self.email = UserManager.normalize_email(self.email)

    @property
    def zoneinfo(self):
        return zoneinfo.ZoneInfo(self.timezone)

    def today(self):
        """The current date where the user lives."""
        return timezone.localdate(timezone=self.zoneinfo)


# Sessions and API tokens store only this digest of their secret, so a copy
# of the tables holds no usable credential.
def key_hash(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


# Their `last_used_at` is kept to this precision: a busy session or token is
# written to at most once a minute rather than on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class SessionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(expire_date__gt=timezone.now())

    def for_user(self, user):
        return self.filter(user=user)


class Session(ReadWithoutInit, models.Model):
    """
    A server-side sign-in session (see accounts.sessions).

    Only a SHA-256 of the session key is stored: the key itself is the
    bearer token and the cookie's value, so a copy of this table holds no
    usable credential.
    """

    key_hash = models.CharField(max_length=64, unique=True)
    session_data = models.TextField()
    expire_date = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.CASCADE,
        related_name="sessions",
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    user_agent = models.CharField(max_length=256, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"session {self.pk} of user {self.user_id}"


class RateLimitCounter(models.Model):
    """
    A fixed-window request counter, for when no Redis is configured.

    Counted with one atomic upsert (accounts.ratelimit), never read-then-write.
    """

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField()
    # Unix time in seconds: plain integers compare the same on every backend.
    expires_at = models.BigIntegerField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count}"


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(expires_at__gt=timezone.now())

    def for_user(self, user):
        return self.filter(user=user)


class ApiToken(models.Model):
    """
    A personal API token for scripts and integrations (see accounts.tokens).
    Shown once at creation; only its SHA-256 is stored. Acts within its scopes.
    """

    # Recognisable in logs, config files and secret scanners.
    PREFIX = "tda_"

    class Scope(models.TextChoices):
        READ = "todos:read"
        WRITE = "todos:write"
        SHARE = "lists:share"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.user_id})"


class AccountTokenQuerySet(models.QuerySet):
    def live(self):
        return self.filter(expires_at__gt=timezone.now())


class AccountToken(models.Model):
    """
    The token of a link mailed for an account flow (see accounts.links):
    single use, for one purpose, until `expires_at`. Only its SHA-256 is
    stored, as for sessions and API tokens.
    """

    class Purpose(models.TextChoices):
        VERIFY_EMAIL = "verify_email"
        RESET_PASSWORD = "reset_password"
        CHANGE_EMAIL = "change_email"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    key_hash = models.CharField(max_length=64, unique=True)
    # The address the link was mailed to: the one to verify, or the new one.
    email = models.EmailField()
    # A digest of the password hash when it was issued: a reset link dies
    # when the password changes, by whatever means.
    password_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField(db_index=True)

    objects = AccountTokenQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["user", "purpose"], name="accounttoken_user_purpose")
        ]

    def __str__(self):
        return f"{self.purpose} for user {self.user_id}"


class TwoFactor(models.Model):
    """
    A user's TOTP second factor (RFC 6238; see accounts.two_factor). Set up
    first (`enabled_at` null) and on once a code from the authenticator app
    proves it was stored there. The secret must be read back to check codes,
    so it is kept as is, as django-otp's TOTP devices keep theirs.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="two_factor",
    )
    secret = models.CharField(max_length=64)
    enabled_at = models.DateTimeField(null=True, blank=True)
    # The time step of the last code accepted: a code works once.
    last_timestep = models.BigIntegerField(default=0)

    def __str__(self):
        return f"2FA of user {self.user_id} ({'on' if self.enabled_at else 'set up'})"


class RecoveryCode(models.Model):
    """A one-time code standing in for the authenticator; only its SHA-256 is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    code_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "code_hash"], name="recoverycode_unique_per_user"
            )
        ]

    def __str__(self):
        return f"recovery code of user {self.user_id}"


class SigninChallenge(models.Model):
    """
    A sign-in whose password was right, waiting for its second factor:
    single use, until `expires_at`, and dead after a few wrong codes. Only
    the SHA-256 of its key is kept.
    """

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    failures = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"sign-in challenge of user {self.user_id}"
