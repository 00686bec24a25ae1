from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import flows, tokens, two_factor
from accounts.mail import mail_password_reset, mail_user
from accounts.models import ApiToken, Session, key_hash
from accounts.permissions import SessionsOnly, SessionsOnlyToChange
from accounts.serializers import (
    AcceptedSerializer,
    AccountDeletionSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
    EmailChangeSerializer,
    IssuedApiTokenSerializer,
    LinkTokenSerializer,
    PasswordChangeSerializer,
    PasswordConfirmationSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    RecoveryCodesSerializer,
    SessionSerializer,
    SessionTokenSerializer,
    SigninChallengeSerializer,
    SigninSecondFactorSerializer,
    SigninSerializer,
    SignoutAllSerializer,
    SignupSerializer,
    TwoFactorCodeSerializer,
    TwoFactorConfirmationSerializer,
    TwoFactorSetupSerializer,
    TwoFactorStatusSerializer,
    UserSerializer,
)
from accounts.sessions import (
    BearerSessionAuthentication,
    current_session,
    end_session,
    renew_auth_hash,
    revoke_sessions,
    start_session,
)
from accounts.throttles import (
    AccountMailThrottle,
    AuthAddressThrottle,
    PasswordCheckThrottle,
    UserThrottle,
)
from api.exceptions import Conflict
from api.schema import cookies_header, problems


def _session_response(user, session, status_code):
    body = {
        "user": user,
        "token": session.session_key,
        "expires_at": session.get_expiry_date(),
    }
    return Response(SessionTokenSerializer(body).data, status=status_code)


class CredentialsView(APIView):
    """Base of sign-up and sign-in: anonymous, throttled per client address."""

    # No authentication: stale credentials must not block signing in again.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthAddressThrottle]

    def get_authenticate_header(self, request):
        # A failed sign-in is a 401 challenging for the Bearer scheme.
        return BearerSessionAuthentication().authenticate_header(request)


SIGNUP_PENDING = (
    "Check your mailbox: a link to verify the address is on its way, then sign in."
)


class SignupView(CredentialsView):
    """
    Create an account and sign in: the answer carries a bearer token and sets
    the session and CSRF cookies.
    """

    @extend_schema(
        summary="Sign up",
        description="Create an account and sign in (201), mailing a link to "
        "verify the address. With REQUIRE_EMAIL_VERIFICATION on, sign-up "
        "answers 202 instead, the same whether or not the address is taken, "
        "and opens no session: sign in once the mailed link is followed.",
        request=SignupSerializer,
        parameters=[cookies_header(201)],
        responses={201: SessionTokenSerializer, 202: AcceptedSerializer},
    )
    def post(self, request):
        required = settings.REQUIRE_EMAIL_VERIFICATION
        serializer = SignupSerializer(
            data=request.data, context={"reveal_taken": not required}
        )
        serializer.is_valid(raise_exception=True)
        if required:
            flows.sign_up_unverified(request, serializer)
            return Response({"detail": SIGNUP_PENDING}, status=status.HTTP_202_ACCEPTED)
        user = serializer.save()
        mail_user(request, "verify_email", user)
        return _session_response(
            user, start_session(request, user), status.HTTP_201_CREATED
        )


class SigninView(CredentialsView):
    """
    Sign in with email (any case) and password on a new session. Repeated
    failures for one email lock it out for a while (429), from any address.
    """

    @extend_schema(
        summary="Sign in",
        description="Sign in with email (any case) and password on a new "
        "session (200). For an account with two-factor sign-in on, a right "
        "password answers 202 with a challenge instead and opens no session: "
        "complete it with POST auth/signin/2fa.",
        request=SigninSerializer,
        parameters=[cookies_header(200)],
        responses={
            200: SessionTokenSerializer,
            202: SigninChallengeSerializer,
            **problems(401, 403),
        },
    )
    def post(self, request):
        serializer = SigninSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, challenge = flows.sign_in(request, **serializer.validated_data)
        if challenge is not None:
            body = SigninChallengeSerializer(challenge).data
            return Response(body, status=status.HTTP_202_ACCEPTED)
        return _session_response(user, start_session(request, user), status.HTTP_200_OK)


class SigninSecondFactorView(CredentialsView):
    """
    The second step of a sign-in with 2FA: the challenge and a code from the
    authenticator app (or a recovery code) → a session, as sign-in answers.
    A challenge lasts 5 minutes, works once and dies after 5 wrong codes;
    wrong codes count toward the email's sign-in lockout.
    """

    @extend_schema(
        summary="Complete a two-factor sign-in",
        request=SigninSecondFactorSerializer,
        parameters=[cookies_header(200)],
        responses={200: SessionTokenSerializer},
    )
    def post(self, request):
        serializer = SigninSecondFactorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = two_factor.complete(
            data["challenge"], data.get("code"), data.get("recovery_code")
        )
        return _session_response(user, start_session(request, user), status.HTTP_200_OK)


# Managing sessions, tokens, the password or the account needs a session.
SESSION_ONLY = [IsAuthenticated, SessionsOnly]


class SignoutView(APIView):
    """End the current session: its token and cookie stop working."""

    permission_classes = SESSION_ONLY

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        end_session(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignoutAllView(APIView):
    """
    End every session of the caller, this one included; with
    `include_tokens`, revoke their API tokens too. The body may be omitted.
    """

    permission_classes = SESSION_ONLY

    @extend_schema(request=SignoutAllSerializer, responses={204: None})
    def post(self, request):
        options = SignoutAllSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        revoke_sessions(request.user)
        if options.validated_data["include_tokens"]:
            ApiToken.objects.for_user(request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(summary="Get the signed-in user"),
    patch=extend_schema(summary="Change name or time zone"),
)
class MeView(generics.RetrieveUpdateDestroyAPIView):
    """
    The signed-in user. PATCH changes `name` and `timezone`; DELETE, with the
    password, deletes the account with its todos and sessions.
    """

    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated, SessionsOnlyToChange]
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        return self.request.user

    def get_throttles(self):
        if self.request.method == "DELETE":
            return [UserThrottle(), PasswordCheckThrottle()]
        return super().get_throttles()

    @extend_schema(
        summary="Delete the account",
        request=AccountDeletionSerializer,
        responses={204: None},
    )
    def delete(self, request):
        confirmation = AccountDeletionSerializer(
            data=request.data, context={"user": request.user}
        )
        confirmation.is_valid(raise_exception=True)
        request.user.delete()
        end_session(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordView(APIView):
    """
    Change the password. Every other session of the user ends; this one
    stays signed in.
    """

    permission_classes = SESSION_ONLY
    throttle_classes = [UserThrottle, PasswordCheckThrottle]

    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        serializer = PasswordChangeSerializer(
            data=request.data, context={"user": request.user}
        )
        serializer.is_valid(raise_exception=True)
        request.user.set_password(serializer.validated_data["new_password"])
        request.user.save(update_fields=["password", "updated_at"])
        session = current_session(request)
        revoke_sessions(request.user, keep=session)
        renew_auth_hash(session, request.user)
        mail_user(request, "password_changed", request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionListView(generics.ListAPIView):
    """The caller's active sessions, newest first; keys are never shown."""

    serializer_class = SessionSerializer
    permission_classes = SESSION_ONLY
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return Session.objects.active().for_user(self.request.user)

    def get_serializer_context(self):
        session = current_session(self.request)
        current = key_hash(session.session_key) if session else None
        return {**super().get_serializer_context(), "current_key_hash": current}


class SessionDetailView(generics.DestroyAPIView):
    """Revoke one of the caller's sessions (another user's id is a 404)."""

    serializer_class = SessionSerializer
    permission_classes = SESSION_ONLY

    def get_queryset(self):
        return Session.objects.active().for_user(self.request.user)


@extend_schema_view(get=extend_schema(summary="List API tokens"))
class ApiTokenListView(generics.ListCreateAPIView):
    """
    Personal API tokens for scripts and integrations: list them, or create
    one (the answer shows the token this once).
    """

    serializer_class = ApiTokenSerializer
    permission_classes = SESSION_ONLY
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return ApiToken.objects.for_user(self.request.user)

    @extend_schema(
        summary="Create an API token",
        request=ApiTokenCreateSerializer,
        responses={201: IssuedApiTokenSerializer},
    )
    def post(self, request):
        serializer = ApiTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row, token = tokens.issue(request.user, **serializer.validated_data)
        row.token = token
        return Response(
            IssuedApiTokenSerializer(row).data, status=status.HTTP_201_CREATED
        )


class ApiTokenDetailView(generics.DestroyAPIView):
    """Revoke one of the caller's API tokens (another user's id is a 404)."""

    serializer_class = ApiTokenSerializer
    permission_classes = SESSION_ONLY

    def get_queryset(self):
        return ApiToken.objects.for_user(self.request.user)


# --- recovery and verification -----------------------------------------------

RESET_REQUESTED = (
    "If an account uses this address, a link to choose a new password is on "
    "its way to it."
)


class PasswordResetView(CredentialsView):
    """
    Ask for a password reset link by mail. The answer is the same, and as
    quick, whether or not an account uses the address.
    """

    throttle_classes = [AuthAddressThrottle, AccountMailThrottle]

    @extend_schema(
        summary="Ask for a password reset link",
        request=PasswordResetRequestSerializer,
        responses={202: AcceptedSerializer},
    )
    def post(self, request):
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        mail_password_reset(request, serializer.validated_data["email"])
        return Response({"detail": RESET_REQUESTED}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(CredentialsView):
    """
    Choose a new password with the token of a reset link. Every session and
    API token of the account ends; sign in with the new password.
    """

    @extend_schema(
        summary="Reset the password",
        request=PasswordResetConfirmSerializer,
        responses={204: None},
    )
    def post(self, request):
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        flows.reset_password(request, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LinkTokenView(CredentialsView):
    """Base of the views that take the token of a mailed link: the user after."""

    def redeem(self, request, token):
        raise NotImplementedError

    @extend_schema(request=LinkTokenSerializer, responses={200: UserSerializer})
    def post(self, request):
        serializer = LinkTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = self.redeem(request, serializer.validated_data["token"])
        return Response(UserSerializer(user).data)


@extend_schema_view(post=extend_schema(summary="Verify the email address"))
class EmailVerifyView(LinkTokenView):
    """Verify the account's address with the token of a verification link."""

    def redeem(self, request, token):
        return flows.verify_email(token)


class EmailVerificationView(APIView):
    """Mail a fresh verification link to the signed-in user's address."""

    permission_classes = SESSION_ONLY
    throttle_classes = [UserThrottle, AccountMailThrottle]

    @extend_schema(
        summary="Send a new verification link",
        request=None,
        responses={202: AcceptedSerializer},
    )
    def post(self, request):
        if request.user.email_verified:
            detail = "Your email address is already verified."
        else:
            mail_user(request, "verify_email", request.user)
            detail = f"A new verification link is on its way to {request.user.email}."
        return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED)


class EmailChangeView(APIView):
    """
    Move the account to another address: a confirmation link goes to the new
    one and a notice to the current one; nothing changes until it is used.
    """

    permission_classes = SESSION_ONLY
    throttle_classes = [UserThrottle, PasswordCheckThrottle, AccountMailThrottle]

    @extend_schema(
        summary="Change the email address",
        request=EmailChangeSerializer,
        responses={202: AcceptedSerializer},
    )
    def post(self, request):
        serializer = EmailChangeSerializer(
            data=request.data, context={"user": request.user}
        )
        serializer.is_valid(raise_exception=True)
        new_email = serializer.validated_data["new_email"]
        flows.request_email_change(request, request.user, new_email)
        detail = f"A link to confirm the change is on its way to {new_email}."
        return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(post=extend_schema(summary="Confirm the new email address"))
class EmailChangeConfirmView(LinkTokenView):
    """Confirm an email change with the token of the link mailed to the new address."""

    def redeem(self, request, token):
        return flows.confirm_email_change(request, token)


# --- two-factor sign-in ------------------------------------------------------


class TwoFactorView(APIView):
    """Whether two-factor sign-in is on, and how many recovery codes are left."""

    permission_classes = SESSION_ONLY

    @extend_schema(
        summary="Two-factor status", responses={200: TwoFactorStatusSerializer}
    )
    def get(self, request):
        return Response(two_factor.status(request.user))


class TwoFactorChangeView(APIView):
    """Base of the 2FA changes: a session's, throttled like password checks."""

    permission_classes = SESSION_ONLY
    throttle_classes = [UserThrottle, PasswordCheckThrottle]
    needs_enabled = True

    def confirmed(self, serializer_class):
        """The request's checked body, once 2FA is in the state it needs (409)."""
        if two_factor.enabled(self.request.user) != self.needs_enabled:
            state = "off" if self.needs_enabled else "already on"
            raise Conflict(f"Two-factor sign-in is {state}.")
        serializer = serializer_class(
            data=self.request.data, context={"user": self.request.user}
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class TwoFactorSetupView(TwoFactorChangeView):
    """
    Make a new secret for an authenticator app (2FA stays off until a code
    from it is sent to auth/2fa/enable).
    """

    needs_enabled = False

    @extend_schema(
        summary="Set up two-factor sign-in",
        request=PasswordConfirmationSerializer,
        responses={200: TwoFactorSetupSerializer, **problems(409)},
    )
    def post(self, request):
        self.confirmed(PasswordConfirmationSerializer)
        return Response(two_factor.setup(request.user))


class TwoFactorEnableView(TwoFactorChangeView):
    """Turn two-factor sign-in on with a first code from the app."""

    needs_enabled = False

    @extend_schema(
        summary="Turn two-factor sign-in on",
        request=TwoFactorCodeSerializer,
        responses={200: RecoveryCodesSerializer, **problems(409)},
    )
    def post(self, request):
        code = self.confirmed(TwoFactorCodeSerializer)["code"]
        if not hasattr(request.user, "two_factor"):
            raise Conflict("Set two-factor sign-in up first (auth/2fa/setup).")
        codes = two_factor.enable(request.user, code)
        mail_user(request, "two_factor_enabled", request.user)
        return Response({"recovery_codes": codes})


class TwoFactorDisableView(TwoFactorChangeView):
    """Turn two-factor sign-in off (its recovery codes die)."""

    @extend_schema(
        summary="Turn two-factor sign-in off",
        request=TwoFactorConfirmationSerializer,
        responses={204: None, **problems(409)},
    )
    def post(self, request):
        code = self.confirmed(TwoFactorConfirmationSerializer)["code"]
        two_factor.verify_second_factor(request.user, code)
        two_factor.disable(request.user)
        mail_user(request, "two_factor_disabled", request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecoveryCodesView(TwoFactorChangeView):
    """A new set of recovery codes; the old ones stop working."""

    @extend_schema(
        summary="Replace the recovery codes",
        request=TwoFactorConfirmationSerializer,
        responses={200: RecoveryCodesSerializer, **problems(409)},
    )
    def post(self, request):
        code = self.confirmed(TwoFactorConfirmationSerializer)["code"]
        two_factor.verify_second_factor(request.user, code)
        return Response({"recovery_codes": two_factor.new_recovery_codes(request.user)})
