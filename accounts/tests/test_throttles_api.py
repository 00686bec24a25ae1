"""Brute-force protection: sign-in lockout, client addresses, per-user limits."""

import re
import time

import pytest
from rest_framework.test import APIClient

from accounts.models import RateLimitCounter
from testing.helpers import assert_problem, bearer_client, signin

pytestmark = pytest.mark.django_db


def signin_from(address="10.0.0.1", **kwargs):
    """Sign in (testing.helpers.signin) from a client at `address`."""
    return signin(APIClient(REMOTE_ADDR=address), **kwargs)


def without_numbers(body):
    return {key: re.sub(r"\d+", "N", str(value)) for key, value in body.items()}


@pytest.fixture
def lockout(settings):
    settings.SIGNIN_MAX_FAILURES = 3


# --- sign-in lockout per email -----------------------------------------------


def test_failed_signins_lock_the_email_from_every_address(lockout, user):
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert_problem(signin_from(password="wrong", address=address), 401)

    # Even the right password, from a fresh address.
    response = signin_from(address="10.9.9.9")

    body = assert_problem(response, 429)
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert "email" in body["detail"]


def test_lockout_does_not_reveal_whether_the_email_exists(lockout, user):
    for _ in range(3):
        signin_from(password="wrong")
        signin_from(email="nobody@example.com", password="wrong")

    known, unknown = (
        signin_from(password="wrong"),
        signin_from(email="nobody@example.com"),
    )

    assert known.status_code == unknown.status_code == 429
    # The same answer but for the seconds left: each email's window opened
    # at its own first failure, so a second's boundary may fall between them.
    assert without_numbers(known.json()) == without_numbers(unknown.json())
    assert abs(int(known["Retry-After"]) - int(unknown["Retry-After"])) <= 1


def test_lockout_is_per_email(lockout, user, other_user):
    for _ in range(3):
        signin_from(password="wrong")

    assert signin_from(email="other@example.com").status_code == 200


def test_lockout_ends_when_the_window_closes(lockout, user):
    for _ in range(3):
        signin_from(password="wrong")
    assert_problem(signin_from(), 429)

    RateLimitCounter.objects.update(expires_at=int(time.time()) - 1)

    assert signin_from().status_code == 200


def test_successful_signin_does_not_reset_the_failure_count(lockout, user):
    signin_from(password="wrong", address="10.0.0.1")
    signin_from(password="wrong", address="10.0.0.1")
    assert signin_from(address="10.0.0.2").status_code == 200

    assert_problem(signin_from(password="wrong", address="10.0.0.1"), 401)
    assert_problem(signin_from(address="10.0.0.2"), 429)


def test_lockout_is_keyed_on_the_normalised_email(lockout, user):
    for variant in ("USER@example.com", " user@EXAMPLE.com", "User@Example.Com"):
        signin_from(email=variant, password="wrong")

    assert_problem(signin_from(), 429)


# --- which address counts ----------------------------------------------------


def test_forged_forwarded_for_is_ignored_without_trusted_proxies(settings, user):
    settings.AUTH_THROTTLE_RATE = "2/min"
    statuses = [
        signin_from(address="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
        for n in range(3)
    ]

    assert statuses == [200, 200, 429]


def test_trusted_proxy_supplies_the_client_address(settings, user):
    settings.AUTH_THROTTLE_RATE = "1/min"
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.254"

    first = signin_from(address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    second = signin_from(address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")
    again = signin_from(address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert (first.status_code, second.status_code, again.status_code) == (200, 200, 429)


def test_client_cannot_escape_through_a_trusted_proxy_by_forging_entries(
    settings, user
):
    settings.AUTH_THROTTLE_RATE = "1/min"
    settings.TRUSTED_PROXY_COUNT = 1
    # The proxy appends the real client (198.51.100.7) after whatever it sent.
    statuses = [
        signin_from(
            address="10.0.0.254", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.7"
        ).status_code
        for n in range(2)
    ]

    assert statuses == [200, 429]


def test_session_records_the_address_seen_through_the_proxy(settings, user):
    settings.TRUSTED_PROXY_COUNT = 2
    response = signin_from(
        address="10.0.0.254", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8, 10.0.0.9"
    )

    sessions = bearer_client(token=response.json()["token"]).get(
        "/api/v1/auth/sessions"
    )

    assert sessions.json()[0]["ip"] == "5.6.7.8"


# --- per-user limit on API calls ---------------------------------------------


def test_api_calls_are_throttled_per_user(settings, auth_client, other_client):
    settings.USER_THROTTLE_RATE = "3/min"
    for _ in range(3):
        assert auth_client.get("/api/v1/todos").status_code == 200

    response = auth_client.post("/api/v1/todos", {"title": "one too many"})

    assert_problem(response, 429)
    assert 0 < int(response["Retry-After"]) <= 60
    assert other_client.get("/api/v1/todos").status_code == 200


def test_throttled_write_changes_nothing(settings, auth_client):
    settings.USER_THROTTLE_RATE = "1/min"
    auth_client.get("/api/v1/todos")

    assert_problem(auth_client.post("/api/v1/todos", {"title": "x"}), 429)
    assert auth_client.get("/api/v1/todos").status_code == 429


def test_user_limit_applies_to_both_carriers_together(settings, user, auth_client):
    settings.USER_THROTTLE_RATE = "2/min"
    cookie = APIClient()
    cookie.force_login(user)

    assert auth_client.get("/api/v1/auth/me").status_code == 200
    assert cookie.get("/api/v1/auth/me").status_code == 200
    assert_problem(auth_client.get("/api/v1/auth/me"), 429)


# --- rate-limit headers ------------------------------------------------------


def test_throttled_answers_carry_rate_limit_headers_down_to_the_429(
    settings, auth_client
):
    settings.USER_THROTTLE_RATE = "3/min"

    responses = [auth_client.get("/api/v1/todos") for _ in range(4)]

    assert [r["RateLimit-Limit"] for r in responses] == ["3"] * 4
    assert [r["RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    for response in responses:
        assert 0 < int(response["RateLimit-Reset"]) <= 60
    assert responses[-1]["RateLimit-Reset"] == responses[-1]["Retry-After"]


def test_signin_reports_the_address_limit(settings, user):
    settings.AUTH_THROTTLE_RATE = "5/min"

    response = signin_from()

    assert (response["RateLimit-Limit"], response["RateLimit-Remaining"]) == ("5", "4")


def test_the_tightest_limit_is_reported(settings, auth_client):
    settings.USER_THROTTLE_RATE = "100/min"
    settings.AUTH_THROTTLE_RATE = "2/min"
    wrong = {"current_password": "guess", "new_password": "a whole new passphrase"}

    response = auth_client.post("/api/v1/auth/password", wrong)

    assert (response["RateLimit-Limit"], response["RateLimit-Remaining"]) == ("2", "1")


def test_unthrottled_endpoints_carry_no_rate_limit_headers(api_client):
    assert "RateLimit-Limit" not in api_client.get("/api/v1/health")
