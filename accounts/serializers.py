from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from accounts.models import UserManager, validate_timezone
from todoapp.fields import StrictCharField, StrictEmailField

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
        fields = ("id", "email", "name", "timezone", "created_at", "updated_at")
        read_only_fields = ("id", "email", "created_at", "updated_at")


class SignupSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = _password_field()
    name = StrictCharField(max_length=150, allow_blank=True, required=False, default="")

    def validate_email(self, value):
        email = UserManager.normalize_email(value)
        if User.objects.filter(email=email).exists():
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


class SessionTokenSerializer(serializers.Serializer):
    """What sign-up and sign-in answer: the user and the session's token."""

    user = UserSerializer()
    token = serializers.CharField(
        help_text="The session key: send it as `Authorization: Bearer <token>`."
    )
    expires_at = serializers.DateTimeField(
        help_text="When the session ends unless used."
    )
