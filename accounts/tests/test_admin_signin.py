"""The admin's sign-in is held to the API's limits: per address and per email."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from testing.helpers import PASSWORD

pytestmark = pytest.mark.django_db

User = get_user_model()
ADMIN_EMAIL = "admin@example.com"


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(email=ADMIN_EMAIL, password=PASSWORD)


def admin_signin(password, email=ADMIN_EMAIL, address="203.0.113.7"):
    """A browser-like sign-in at /admin/login/, CSRF token included."""
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
    browser.get("/admin/login/")
    response = browser.post(
        "/admin/login/?next=/admin/",
        {
            "username": email,
            "password": password,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
        },
    )
    return response, browser


def signed_in(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_admin_signin_works_with_the_right_password(superuser):
    response, browser = admin_signin(PASSWORD)

    assert signed_in(response)
    assert browser.get("/admin/").status_code == 200


def test_admin_signin_locks_the_email_after_repeated_failures(settings, superuser):
    settings.SIGNIN_MAX_FAILURES = 3
    for attempt in range(3):
        response, _ = admin_signin("wrong", address=f"203.0.113.{attempt}")
        assert "Please enter the correct email" in response.content.decode()

    response, _ = admin_signin(PASSWORD, address="198.51.100.1")

    assert not signed_in(response)
    assert "Too many failed sign-ins for this email" in response.content.decode()


def test_admin_signin_shares_the_lockout_with_the_api(settings, superuser):
    settings.SIGNIN_MAX_FAILURES = 2
    api = Client()
    for _ in range(2):
        failed = api.post(
            "/api/v1/auth/signin",
            {"email": ADMIN_EMAIL, "password": "wrong"},
            content_type="application/json",
        )
        assert failed.status_code == 401

    response, _ = admin_signin(PASSWORD)

    assert not signed_in(response)
    assert "Too many failed sign-ins" in response.content.decode()


def test_admin_signin_is_throttled_per_address(settings, superuser):
    settings.AUTH_THROTTLE_RATE = "3/min"
    for _ in range(3):
        response, _ = admin_signin("wrong", email=f"x{_}@example.com")
        assert response.status_code == 200

    response, _ = admin_signin(PASSWORD)

    assert not signed_in(response)
    assert "Too many sign-in attempts from this address" in response.content.decode()
    other_address, _ = admin_signin(PASSWORD, address="198.51.100.9")
    assert signed_in(other_address)


# --- two-factor sign-in ------------------------------------------------------


@pytest.fixture
def two_factor_admin(superuser):
    import pyotp

    from accounts import two_factor

    secret = two_factor.setup(superuser)["secret"]
    two_factor.enable(superuser, pyotp.TOTP(secret).now())
    return pyotp.TOTP(secret)


def admin_signin_with_code(code, address="203.0.113.7"):
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
    page = browser.get("/admin/login/")
    assert 'name="otp_code"' in page.content.decode()
    return browser.post(
        "/admin/login/?next=/admin/",
        {
            "username": ADMIN_EMAIL,
            "password": PASSWORD,
            "otp_code": code,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
        },
    )


def test_admin_signin_asks_a_two_factor_account_for_its_code(two_factor_admin):
    response, _ = admin_signin(PASSWORD)

    assert not signed_in(response)
    assert "two-factor sign-in on" in response.content.decode()


def test_admin_signin_refuses_a_wrong_code(two_factor_admin):
    response = admin_signin_with_code("000000")

    assert not signed_in(response)


def test_admin_signin_takes_the_next_code(two_factor_admin):
    import datetime as dt

    from django.utils import timezone

    later = timezone.now() + dt.timedelta(seconds=30)

    assert signed_in(admin_signin_with_code(two_factor_admin.at(later)))
