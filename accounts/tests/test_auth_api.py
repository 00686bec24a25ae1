import pytest
from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from accounts.models import Session
from testing.helpers import PASSWORD, assert_problem, bearer_client, signin

pytestmark = pytest.mark.django_db

User = get_user_model()


def signup(client, email="new@example.com", password=PASSWORD, **extra):
    return client.post(
        "/api/v1/auth/signup", {"email": email, "password": password, **extra}
    )


# --- sign-up -----------------------------------------------------------------


def test_signup_creates_user_and_signs_in(api_client):
    response = signup(api_client, "New@Example.com", name="Ada")

    assert response.status_code == 201
    body = response.json()
    user = User.objects.get()
    assert body["user"] == {
        "id": user.pk,
        "email": "new@example.com",
        "email_verified": False,
        "name": "Ada",
        "timezone": "UTC",
        "created_at": body["user"]["created_at"],
        "updated_at": body["user"]["updated_at"],
    }
    assert len(body["token"]) >= 43
    assert parse_datetime(body["expires_at"]) is not None
    assert user.check_password(PASSWORD)
    # The token works at once, and so does the cookie set beside it.
    assert bearer_client(token=body["token"]).get("/api/v1/auth/me").status_code == 200
    assert api_client.get("/api/v1/auth/me").json()["email"] == "new@example.com"
    assert response.cookies["sessionid"].value == body["token"]
    assert response.cookies["csrftoken"].value


def test_signup_name_defaults_to_empty_string(api_client):
    response = signup(api_client)

    assert response.status_code == 201
    assert response.json()["user"]["name"] == ""


def test_signup_rejects_registered_email_in_any_case(api_client, user):
    response = signup(api_client, "USER@example.com")

    body = assert_problem(response, 400, field="email")
    assert body["errors"][0]["code"] == "unique"
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "password, code",
    [
        ("short1", "password_too_short"),
        ("password123", "password_too_common"),
        ("84719283746512", "password_entirely_numeric"),
    ],
)
def test_signup_applies_password_validators(api_client, password, code):
    response = signup(api_client, password=password)

    body = assert_problem(response, 400, field="password")
    assert code in [error["code"] for error in body["errors"]]
    assert not User.objects.exists()


def test_signup_rejects_password_similar_to_email(api_client):
    response = signup(
        api_client, "marvellous.penguin@example.com", password="marvellous.penguin"
    )

    assert_problem(response, 400, field="password")


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "a@example.com"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": 12, "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": ["x"]}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "x" * 151}, "name"),
        ({"email": None, "password": PASSWORD}, "email"),
    ],
)
def test_signup_rejects_bad_fields(api_client, payload, field):
    response = api_client.post("/api/v1/auth/signup", payload)

    assert_problem(response, 400, field=field)
    assert not User.objects.exists()


def test_signup_with_non_object_body_is_400_without_field(api_client):
    response = api_client.post("/api/v1/auth/signup", [1, 2], format="json")

    body = assert_problem(response, 400)
    assert body["errors"][0]["field"] is None


# --- sign-in -----------------------------------------------------------------


def test_signin_returns_token_for_a_new_session(api_client, user):
    response = signin(api_client)

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == "user@example.com"
    assert Session.objects.filter(user=user).count() == 1
    assert bearer_client(token=body["token"]).get("/api/v1/auth/me").status_code == 200
    assert response.cookies["csrftoken"].value


def test_signin_matches_email_case_insensitively(api_client, user):
    assert signin(api_client, email="  User@EXAMPLE.com").status_code == 200


def test_signin_fails_alike_for_wrong_password_and_unknown_email(api_client, user):
    wrong_password = signin(api_client, password="not the password")
    unknown_email = signin(api_client, email="nobody@example.com")

    assert_problem(wrong_password, 401)
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password["WWW-Authenticate"].startswith("Bearer")
    assert unknown_email["WWW-Authenticate"].startswith("Bearer")


def test_signin_fails_for_deactivated_user(api_client, user):
    user.is_active = False
    user.save()

    assert_problem(signin(api_client), 401)


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "user@example.com"}, "password"),
        ({"email": "user@", "password": PASSWORD}, "email"),
    ],
)
def test_signin_rejects_missing_or_malformed_fields(api_client, user, payload, field):
    assert_problem(api_client.post("/api/v1/auth/signin", payload), 400, field=field)


def test_signin_ignores_stale_bearer_token(user):
    client = bearer_client(token="stale-token-from-an-old-session")

    assert signin(client).status_code == 200


def test_signin_twice_gives_two_independent_sessions(user):
    first = signin(APIClient()).json()["token"]
    second = signin(APIClient()).json()["token"]

    assert first != second
    assert bearer_client(token=first).get("/api/v1/auth/me").status_code == 200
    assert bearer_client(token=second).get("/api/v1/auth/me").status_code == 200


def test_signin_twice_through_a_cookie_keeping_client_keeps_both_sessions(
    api_client, user
):
    first = signin(api_client).json()["token"]
    second = signin(api_client).json()["token"]

    assert second != first
    assert bearer_client(token=first).get("/api/v1/auth/me").status_code == 200
    assert api_client.cookies["sessionid"].value == second
    assert api_client.get("/api/v1/auth/me").status_code == 200
    listed = bearer_client(token=second).get("/api/v1/auth/sessions").json()
    assert len(listed) == 2
    assert [session["current"] for session in listed].count(True) == 1


def test_signin_replaces_a_planted_cookie_session(api_client, user):
    api_client.cookies["sessionid"] = "chosen-by-an-attacker"

    token = signin(api_client).json()["token"]

    assert api_client.cookies["sessionid"].value == token != "chosen-by-an-attacker"
    assert_problem(
        bearer_client(token="chosen-by-an-attacker").get("/api/v1/auth/me"), 401
    )


# --- sign-out ----------------------------------------------------------------


def test_signout_ends_bearer_session(user):
    token = signin(APIClient()).json()["token"]
    client = bearer_client(token=token)

    assert client.post("/api/v1/auth/signout").status_code == 204
    assert_problem(client.get("/api/v1/auth/me"), 401)
    assert not Session.objects.exists()


def test_signout_ends_cookie_session(api_client, user):
    signin(api_client)
    cookie = api_client.cookies["sessionid"].value

    response = api_client.post("/api/v1/auth/signout")

    assert response.status_code == 204
    assert response.cookies["sessionid"].value == ""  # deleted
    replay = APIClient()
    replay.cookies["sessionid"] = cookie
    assert_problem(replay.get("/api/v1/auth/me"), 401)


def test_signout_requires_authentication(api_client):
    assert_problem(api_client.post("/api/v1/auth/signout"), 401)


# --- me ----------------------------------------------------------------------


def test_me_returns_the_user(auth_client, user):
    response = auth_client.get("/api/v1/auth/me")

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": "user@example.com",
        "email_verified": False,
        "name": "",
        "timezone": "UTC",
        "created_at": user.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": user.updated_at.isoformat().replace("+00:00", "Z"),
    }


def test_me_patch_changes_name_and_timezone(auth_client, user):
    response = auth_client.patch(
        "/api/v1/auth/me", {"name": "Grace", "timezone": "Asia/Tokyo"}
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Grace"
    assert response.json()["timezone"] == "Asia/Tokyo"
    user.refresh_from_db()
    assert (user.name, user.timezone) == ("Grace", "Asia/Tokyo")


def test_me_patch_ignores_read_only_email(auth_client, user):
    response = auth_client.patch("/api/v1/auth/me", {"email": "evil@example.com"})

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email == "user@example.com"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": 3}, "timezone"),
        ({"name": "x" * 151}, "name"),
        ({"name": None}, "name"),
    ],
)
def test_me_patch_rejects_bad_fields(auth_client, user, payload, field):
    assert_problem(auth_client.patch("/api/v1/auth/me", payload), 400, field=field)
    user.refresh_from_db()
    assert (user.name, user.timezone) == ("", "UTC")


def test_me_rejects_put_and_delete_methods(auth_client):
    response = auth_client.put("/api/v1/auth/me", {"name": "x"})

    assert_problem(response, 405)
    assert "PATCH" in response["Allow"]


# --- credentials and 401 semantics -------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer not-a-session-key-at-all", "Bearer \u00e9t\u00e9"],
)
def test_protected_endpoint_rejects_bad_bearer_with_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/todos")

    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_protected_endpoint_without_credentials_is_401_with_bearer_challenge(
    api_client,
):
    response = api_client.get("/api/v1/auth/me")

    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_other_authorization_schemes_are_not_credentials(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")

    assert_problem(api_client.get("/api/v1/auth/me"), 401)


# --- CSRF on the cookie carrier ----------------------------------------------


@pytest.fixture
def browser(user):
    """A cookie-carrying client that enforces CSRF like a browser's server would."""
    client = APIClient(enforce_csrf_checks=True)
    assert signin(client).status_code == 200
    return client


def test_cookie_unsafe_request_without_csrf_token_is_403(browser):
    response = browser.post("/api/v1/todos", {"title": "x"})

    body = assert_problem(response, 403)
    assert "CSRF" in body["detail"]


def test_cookie_unsafe_request_with_csrf_token_is_accepted(browser):
    token = browser.cookies["csrftoken"].value

    response = browser.post("/api/v1/todos", {"title": "x"}, HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 201


def test_cookie_safe_request_needs_no_csrf_token(browser):
    assert browser.get("/api/v1/todos").status_code == 200


def test_bearer_unsafe_request_needs_no_csrf_token(user):
    token = signin(APIClient()).json()["token"]
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert client.post("/api/v1/todos", {"title": "x"}).status_code == 201


def test_signin_needs_no_csrf_token():
    client = APIClient(enforce_csrf_checks=True)

    assert signup(client).status_code == 201


# --- throttling --------------------------------------------------------------


def test_signin_is_throttled_per_address_with_retry_after(settings, api_client, user):
    settings.AUTH_THROTTLE_RATE = "3/min"
    for _ in range(3):
        assert signin(api_client).status_code == 200

    response = signin(api_client)

    assert_problem(response, 429)
    assert 0 < int(response["Retry-After"]) <= 60


def test_throttled_signup_creates_nothing(settings, api_client):
    settings.AUTH_THROTTLE_RATE = "2/min"
    assert signup(api_client, "a@example.com").status_code == 201
    assert signup(api_client, "b@example.com").status_code == 201

    assert_problem(signup(api_client, "c@example.com"), 429)
    assert not User.objects.filter(email="c@example.com").exists()


def test_auth_throttle_counts_signup_and_signin_together(settings, api_client, user):
    settings.AUTH_THROTTLE_RATE = "2/min"
    assert signin(api_client).status_code == 200
    assert signup(api_client).status_code == 201

    assert_problem(signin(api_client), 429)


def test_auth_throttle_is_per_address(settings, user):
    settings.AUTH_THROTTLE_RATE = "1/min"
    first, second = APIClient(REMOTE_ADDR="10.0.0.1"), APIClient(REMOTE_ADDR="10.0.0.2")
    assert signin(first).status_code == 200
    assert_problem(signin(first), 429)

    assert signin(second).status_code == 200


def test_auth_throttle_honours_a_large_rate_exactly(settings, api_client, user):
    settings.AUTH_THROTTLE_RATE = "25/min"
    settings.SIGNIN_MAX_FAILURES = 1000
    statuses = [signin(api_client, password="wrong").status_code for _ in range(26)]

    assert statuses == [401] * 25 + [429]
