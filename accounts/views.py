from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import (
    SessionTokenSerializer,
    SigninSerializer,
    SignupSerializer,
    UserSerializer,
)
from accounts.sessions import BearerSessionAuthentication, end_session, start_session
from accounts.throttles import AuthAddressThrottle


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


class SignupView(CredentialsView):
    """
    Create an account and sign in: the answer carries a bearer token and sets
    the session and CSRF cookies.
    """

    @extend_schema(request=SignupSerializer, responses={201: SessionTokenSerializer})
    def post(self, request):
        serializer = SignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.save()
        return _session_response(
            user, start_session(request, user), status.HTTP_201_CREATED
        )


class SigninView(CredentialsView):
    """Sign in with email (any case) and password on a new session."""

    extra_problem_statuses = {"POST": (401,)}

    @extend_schema(request=SigninSerializer, responses={200: SessionTokenSerializer})
    def post(self, request):
        serializer = SigninSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request, **serializer.validated_data)
        if user is None:
            # One answer for an unknown email and a wrong password.
            raise AuthenticationFailed("Incorrect email or password.")
        return _session_response(user, start_session(request, user), status.HTTP_200_OK)


class SignoutView(APIView):
    """End the current session: its token and cookie stop working."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        end_session(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(generics.RetrieveUpdateAPIView):
    """The signed-in user; PATCH changes `name` and `timezone`."""

    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user
