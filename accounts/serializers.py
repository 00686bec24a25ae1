from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from accounts.models import ApiToken, Session, UserManager, validate_timezone
from api.fields import (
    BoundedListField,
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
)

User = get_user_model()

EMAIL_TAKEN = "An account with this email address already exists."


def _password_field(**kwargs):
    # Passwords are taken exactly as typed: no trimming.
    return StrictCharField(
        write_only=True, trim_whitespace=False, max_length=1024, **kwargs
    )


class UserSerializer(serializers.ModelSerializer):
    name = StrictCharField(max_length=150, allow_blank=True, required=False)
    timezone = StrictCharField(
        max_length=64, required=False, validators=[validate_timezone]
    )

    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "email_verified",
            "name",
            "timezone",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "email", "email_verified", "created_at", "updated_at")


class SignupSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = _password_field()
    name = StrictCharField(max_length=150, allow_blank=True, required=False, default="")

    def validate_email(self, value):
        email = UserManager.normalize_email(value)
        # With REQUIRE_EMAIL_VERIFICATION, sign-up answers alike either way.
        reveal = self.context.get("reveal_taken", True)
        if reveal and User.objects.filter(email=email).exists():
            raise serializers.ValidationError(EMAIL_TAKEN, code="unique")
        return email

    def validate(self, attrs):
        candidate = User(email=attrs["email"], name=attrs.get("name", ""))
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                {"password": get_error_detail(exc)}
            ) from None
        return attrs

    def create(self, validated_data):
        try:
            # A concurrent sign-up can take the email between the check above
            # and this insert; the unique index decides, and the loser gets
            # the same field error.
            with transaction.atomic():
                return User.objects.create_user(**validated_data)
        except IntegrityError:
            raise serializers.ValidationError({"email": [EMAIL_TAKEN]}) from None


class SigninSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = _password_field()

    def validate_email(self, value):
        return UserManager.normalize_email(value)


class SignoutAllSerializer(serializers.Serializer):
    include_tokens = StrictBooleanField(
        default=False,
        help_text="Also revoke every personal API token of the caller.",
    )


class SessionTokenSerializer(serializers.Serializer):
    """What sign-up and sign-in answer: the user and the session's token."""

    user = UserSerializer()
    token = serializers.CharField(
        help_text="The session key: send it as `Authorization: Bearer <token>`."
    )
    expires_at = serializers.DateTimeField(
        help_text="When the session ends unless used."
    )


class SessionSerializer(serializers.ModelSerializer):
    """A sign-in session as its owner sees it; never its key."""

    expires_at = serializers.DateTimeField(source="expire_date", read_only=True)
    current = serializers.SerializerMethodField(
        help_text="Whether this is the session making the request."
    )

    class Meta:
        model = Session
        fields = (
            "id",
            "created_at",
            "last_used_at",
            "expires_at",
            "user_agent",
            "ip",
            "current",
        )
        read_only_fields = fields

    def get_current(self, session) -> bool:
        return session.key_hash == self.context.get("current_key_hash")


def _check_current_password(user, password):
    if not user.check_password(password):
        raise serializers.ValidationError(
            "The password is not correct.", code="incorrect"
        )
    return password


class PasswordChangeSerializer(serializers.Serializer):
    current_password = _password_field()
    new_password = _password_field()

    def validate_current_password(self, value):
        return _check_current_password(self.context["user"], value)

    def validate(self, attrs):
        if attrs["new_password"] == attrs["current_password"]:
            raise serializers.ValidationError(
                {"new_password": ["The new password must differ from the current one."]}
            )
        validate_new_password(attrs["new_password"], self.context["user"])
        return attrs


class AccountDeletionSerializer(serializers.Serializer):
    password = _password_field(help_text="The account's password, to confirm.")

    def validate_password(self, value):
        return _check_current_password(self.context["user"], value)


def _scopes_field(**kwargs):
    return BoundedListField(
        child=serializers.ChoiceField(choices=ApiToken.Scope.values),
        max_length=len(ApiToken.Scope.values),
        **kwargs,
    )


class ApiTokenSerializer(serializers.ModelSerializer):
    """A personal API token as listed; never the token itself."""

    scopes = _scopes_field(read_only=True)

    class Meta:
        model = ApiToken
        fields = ("id", "name", "scopes", "created_at", "last_used_at", "expires_at")
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, help_text="What the token is for.")
    scopes = _scopes_field(
        min_length=1,
        help_text="todos:read to read todos, todos:write to change them.",
    )
    expires_in_days = StrictIntegerField(min_value=1, max_value=365, default=90)

    def validate_scopes(self, scopes):
        return sorted(set(scopes))


class IssuedApiTokenSerializer(ApiTokenSerializer):
    """A token just created: the one time the token itself is shown."""

    token = serializers.CharField(
        read_only=True,
        help_text="Send as `Authorization: Bearer <token>`; shown only now.",
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = (*ApiTokenSerializer.Meta.fields, "token")
        read_only_fields = fields


# --- account recovery and verification ---------------------------------------


def validate_new_password(password, user):
    """Django's password validators, as a 400 naming `new_password`."""
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(
            {"new_password": get_error_detail(exc)}
        ) from None


class AcceptedSerializer(serializers.Serializer):
    """A request taken in: what follows arrives by mail."""

    detail = serializers.CharField()


def _token_field():
    return StrictCharField(max_length=100, help_text="The token from the mailed link.")


class PasswordResetRequestSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)

    def validate_email(self, value):
        return UserManager.normalize_email(value)


class PasswordResetConfirmSerializer(serializers.Serializer):
    token = _token_field()
    new_password = _password_field()


class LinkTokenSerializer(serializers.Serializer):
    token = _token_field()


class EmailChangeSerializer(serializers.Serializer):
    new_email = StrictEmailField(max_length=254)
    password = _password_field(help_text="The account's password, to confirm.")

    def validate_new_email(self, value):
        email = UserManager.normalize_email(value)
        if email == self.context["user"].email:
            raise serializers.ValidationError(
                "This is already the account's address.", code="unchanged"
            )
        if User.objects.filter(email=email).exists():
            raise serializers.ValidationError(EMAIL_TAKEN, code="unique")
        return email

    def validate_password(self, value):
        return _check_current_password(self.context["user"], value)


# --- two-factor sign-in ------------------------------------------------------


def _code_field(**kwargs):
    return StrictCharField(max_length=32, **kwargs)


class TwoFactorStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    recovery_codes_left = serializers.IntegerField()


class PasswordConfirmationSerializer(serializers.Serializer):
    password = _password_field(help_text="The account's password, to confirm.")

    def validate_password(self, value):
        return _check_current_password(self.context["user"], value)


class TwoFactorSetupSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32, for typing into an app.")
    otpauth_uri = serializers.CharField(help_text="The otpauth:// URI apps scan.")
    qr_svg = serializers.CharField(
        help_text="The URI as an SVG QR code, to show as is."
    )


class TwoFactorCodeSerializer(serializers.Serializer):
    code = _code_field(help_text="The 6-digit code the authenticator app shows.")


class TwoFactorConfirmationSerializer(PasswordConfirmationSerializer):
    code = _code_field(
        help_text="A code from the authenticator app, or a recovery code."
    )


class RecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(),
        help_text="Ten one-time codes, shown this once: each signs in once "
        "in place of the app.",
    )


class SigninChallengeSerializer(serializers.Serializer):
    """A right password of an account with 2FA: the second step's challenge."""

    challenge = serializers.CharField(help_text="Send it to auth/signin/2fa.")
    expires_at = serializers.DateTimeField()
    methods = serializers.ListField(
        child=serializers.ChoiceField(choices=["totp", "recovery_code"])
    )


class SigninSecondFactorSerializer(serializers.Serializer):
    challenge = StrictCharField(max_length=100)
    code = _code_field(required=False, help_text="From the authenticator app.")
    recovery_code = _code_field(required=False, help_text="One of the recovery codes.")

    def validate(self, attrs):
        if ("code" in attrs) == ("recovery_code" in attrs):
            raise serializers.ValidationError(
                {"code": ["Send either `code` or `recovery_code`."]}
            )
        return attrs
