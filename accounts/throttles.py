"""API rate limits, counted atomically in shared storage (accounts.ratelimit)."""

import hashlib

from django.conf import settings
from django.contrib.auth import authenticate
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle

from accounts import ratelimit
from accounts.client import client_ip


def _http(request):
    """
    The Django request under a DRF one (or the Django request itself, as the
    admin's sign-in form has): what RateLimitHeadersMiddleware reads back.
    """
    return getattr(request, "_request", request)


class CounterThrottle(SimpleRateThrottle):
    """
    DRF's rate throttle (rate syntax, `Retry-After` via `wait()`), counting
    with accounts.ratelimit instead of DRF's per-request history list.
    The rate is read from the setting named by `rate_setting` on each request.
    """

    rate_setting = None

    def get_rate(self):
        return getattr(settings, self.rate_setting)

    def allow_request(self, request, view):
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.usage = ratelimit.hit(key, self.num_requests, self.duration)
        if self.usage.counted:
            usages = _http(request).__dict__.setdefault("rate_limit_usages", [])
            usages.append(self.usage)
        return self.usage.allowed

    def wait(self):
        return self.usage.reset_in


class UserThrottle(CounterThrottle):
    """
    Every authenticated API call, per user: a rate, and at most
    USER_MAX_CONCURRENT requests in flight at once, so that one account's
    expensive requests (deep pages, big feeds, filtered stats) cannot take
    every worker thread from everyone else. The slot is given back when the
    answer leaves (RateLimitHeadersMiddleware).
    """

    rate_setting = "USER_THROTTLE_RATE"

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        return f"user:{request.user.pk}"

    def allow_request(self, request, view):
        key = self.get_cache_key(request, view)
        http_request = _http(request)
        if key is None or getattr(http_request, "_inflight", None):
            # Anonymous, or a view asking twice: it holds one slot already.
            return super().allow_request(request, view)
        slot_key = f"inflight:user:{request.user.pk}"
        self.usage, token = ratelimit.hit_and_acquire(
            key,
            self.num_requests,
            self.duration,
            slot_key,
            settings.USER_MAX_CONCURRENT,
            settings.REQUEST_SLOT_LEASE,
        )
        if self.usage.counted:
            http_request.__dict__.setdefault("rate_limit_usages", []).append(self.usage)
        if not self.usage.allowed:
            return False
        if token is None:
            raise Throttled(
                1,
                f"More than {settings.USER_MAX_CONCURRENT} requests of this "
                "account are in progress; retry when one has finished.",
            )
        http_request._inflight = (slot_key, token)
        return True


class PasswordCheckThrottle(CounterThrottle):
    """
    Checks of the current password by a signed-in user (password change,
    account deletion), per user: a stolen session must not become a
    password-guessing oracle.
    """

    rate_setting = "AUTH_THROTTLE_RATE"

    def get_cache_key(self, request, view):
        return f"password-check:{request.user.pk}"


class AuthAddressThrottle(CounterThrottle):
    """Sign-up and sign-in attempts per client address."""

    rate_setting = "AUTH_THROTTLE_RATE"

    def get_cache_key(self, request, view):
        return f"auth-address:{client_ip(request) or 'unknown'}"


class AccountMailThrottle(CounterThrottle):
    """
    Requests that mail a link (password reset, a fresh verification link),
    per address the mail would go to: the signed-in user's, or the `email`
    in the body.
    """

    rate_setting = "ACCOUNT_MAIL_THROTTLE_RATE"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            email = request.user.email
        else:
            email = (
                request.data.get("email") if isinstance(request.data, dict) else None
            )
            if not isinstance(email, str):
                return None  # the serializer answers 400
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return f"account-mail:{digest}"  # no plain emails in Redis


class SigninLockout:
    """
    Failed sign-ins per email, from any address: after SIGNIN_MAX_FAILURES
    within SIGNIN_FAILURE_WINDOW seconds, every sign-in for that email is
    refused until the window closes. Emails that have no account lock the
    same way, so the answer reveals nothing. A success resets nothing.
    """

    def __init__(self, email):
        digest = hashlib.sha256(email.encode()).hexdigest()
        self.key = f"signin-failures:{digest}"  # no plain emails in Redis
        self.limit = settings.SIGNIN_MAX_FAILURES

    def retry_after(self):
        """Seconds until sign-in is allowed again, or None if it is now."""
        usage = ratelimit.peek(self.key, self.limit)
        return usage.reset_in if usage.count >= self.limit else None

    def record_failure(self):
        ratelimit.hit(self.key, self.limit, settings.SIGNIN_FAILURE_WINDOW)


def authenticate_signin(request, email, password):
    """
    Check a sign-in's password behind the per-email lockout: the user, or
    None (a failure, counted); Throttled while the email is locked out. The
    one gate of every sign-in form, the API's and the admin's, so both share
    the lockout. (The per-address limit is AuthAddressThrottle, in front.)
    """
    lockout = SigninLockout(email)
    if (wait := lockout.retry_after()) is not None:
        raise Throttled(wait, "Too many failed sign-ins for this email; retry later.")
    user = authenticate(request, email=email, password=password)
    if user is None:
        lockout.record_failure()
    return user


class RateLimitHeadersMiddleware:
    """
    Gives back the request's concurrency slot (UserThrottle), and adds
    `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (IETF
    httpapi rate-limit headers) on answers of throttled endpoints, from the
    tightest limit the request was counted against: when Remaining reaches 0,
    the next request is the 429.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        finally:
            if inflight := getattr(request, "_inflight", None):
                ratelimit.release_slot(*inflight)
        usages = getattr(request, "rate_limit_usages", None)
        if usages:
            tightest = min(usages, key=lambda usage: (usage.remaining, -usage.reset_in))
            response["RateLimit-Limit"] = str(tightest.limit)
            response["RateLimit-Remaining"] = str(tightest.remaining)
            response["RateLimit-Reset"] = str(tightest.reset_in)
        return response


class InvitationThrottle(CounterThrottle):
    """
    Invitations to lists, which mail an address anyone may name: per
    inviting user (INVITATION_THROTTLE_RATE) ...
    """

    rate_setting = "INVITATION_THROTTLE_RATE"

    def get_cache_key(self, request, view):
        if request.method != "POST" or not request.user.is_authenticated:
            return None
        return f"invitations:{request.user.pk}"


class InvitedAddressThrottle(AccountMailThrottle):
    """... and per address invited, as the account flows' mails are."""

    def get_cache_key(self, request, view):
        email = request.data.get("email") if isinstance(request.data, dict) else None
        if request.method != "POST" or not isinstance(email, str):
            return None  # the serializer answers 400
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return f"account-mail:{digest}"
