"""API rate limits, counted atomically in shared storage (accounts.ratelimit)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from accounts import ratelimit
from accounts.client import client_ip


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
        return self.usage.allowed

    def wait(self):
        return self.usage.reset_in


class AuthAddressThrottle(CounterThrottle):
    """Sign-up and sign-in attempts per client address."""

    rate_setting = "AUTH_THROTTLE_RATE"

    def get_cache_key(self, request, view):
        return f"auth-address:{client_ip(request) or 'unknown'}"
