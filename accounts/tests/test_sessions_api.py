"""Session lifetime, listing, revocation, password change and account deletion."""

import datetime as dt
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from accounts.models import Session
from testing.helpers import PASSWORD, assert_problem, bearer_client, signin
from todos.ledger import TodoTag
from todos.models import Todo

pytestmark = pytest.mark.django_db

User = get_user_model()


def session_token(*args, **kwargs):
    """Sign in (testing.helpers.signin); the new session's bearer token."""
    response = signin(*args, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def row_for(token):
    return Session.objects.get(key_hash=hashlib.sha256(token.encode()).hexdigest())


@pytest.fixture
def cookie_client(user):
    client = APIClient()
    session_token(client)
    return client


@pytest.fixture
def carriers(user):
    """One signed-in client per carrier: bearer token and session cookie."""
    cookie = APIClient()
    session_token(cookie)
    return {"bearer": bearer_client(token=session_token()), "cookie": cookie}


# --- what is stored ----------------------------------------------------------


def test_database_keeps_only_a_hash_of_each_key(user):
    token = session_token()
    cookie = APIClient()
    session_token(cookie)
    cookie_key = cookie.cookies["sessionid"].value

    for key in (token, cookie_key):
        row = row_for(key)
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        stored = " ".join(
            str(value) for value in Session.objects.values_list().get(pk=row.pk)
        )
        assert key not in stored


def test_bearer_token_has_at_least_256_bits(user):
    tokens = {session_token() for _ in range(5)}

    assert len(tokens) == 5
    # URL-safe base64: 6 bits a character.
    assert all(len(token) * 6 >= 256 for token in tokens)


# --- lifetime ----------------------------------------------------------------


def test_signin_expiry_is_the_session_ttl(settings, user):
    settings.SESSION_COOKIE_AGE = 3600
    before = timezone.now()

    response = APIClient().post(
        "/api/v1/auth/signin", {"email": "user@example.com", "password": PASSWORD}
    )

    expires_at = parse_datetime(response.json()["expires_at"])
    assert (
        dt.timedelta(minutes=59)
        < expires_at - before
        <= dt.timedelta(hours=1, seconds=5)
    )
    assert row_for(response.json()["token"]).expire_date == expires_at


@pytest.mark.parametrize("carrier", ["bearer", "cookie"])
def test_expired_session_is_401(carriers, carrier):
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))

    assert_problem(carriers[carrier].get("/api/v1/auth/me"), 401)


@pytest.mark.parametrize("carrier", ["bearer", "cookie"])
def test_session_used_after_refresh_age_slides_its_expiry(settings, carriers, carrier):
    settings.SESSION_COOKIE_AGE = 7 * 86400
    settings.SESSION_REFRESH_AGE = 86400
    # Expiry set two days ago: the session is due a refresh.
    stale = timezone.now() + dt.timedelta(days=5)
    Session.objects.update(expire_date=stale)

    response = carriers[carrier].get("/api/v1/auth/sessions")

    current = next(item for item in response.json() if item["current"])
    expires_at = parse_datetime(current["expires_at"])
    assert expires_at > timezone.now() + dt.timedelta(days=6, hours=23)
    assert Session.objects.get(pk=current["id"]).expire_date == expires_at


def test_cookie_is_resent_with_the_slid_expiry(settings, cookie_client):
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(days=2))

    response = cookie_client.get("/api/v1/auth/me")

    assert int(response.cookies["sessionid"]["max-age"]) > 6 * 86400


def test_session_used_within_refresh_age_keeps_its_expiry(settings, auth_client):
    expiry = timezone.now() + dt.timedelta(days=6, hours=12)
    Session.objects.update(expire_date=expiry)

    auth_client.get("/api/v1/auth/me")

    assert Session.objects.get().expire_date == expiry


def test_last_used_at_is_recorded_to_the_minute(auth_client):
    long_ago = timezone.now() - dt.timedelta(hours=3)
    Session.objects.update(last_used_at=long_ago)

    auth_client.get("/api/v1/auth/me")

    assert Session.objects.get().last_used_at > timezone.now() - dt.timedelta(seconds=5)


# --- listing and revocation --------------------------------------------------


def test_sessions_lists_own_sessions_without_keys(user, other_user):
    token = session_token(
        APIClient(), HTTP_USER_AGENT="Phone/1.0", REMOTE_ADDR="10.1.2.3"
    )
    session_token(APIClient(), HTTP_USER_AGENT="Laptop/2.0")
    session_token(APIClient(), email="other@example.com")

    response = bearer_client(token=token).get("/api/v1/auth/sessions")

    assert response.status_code == 200
    sessions = response.json()
    assert len(sessions) == 2
    assert all(
        set(item)
        == {
            "id",
            "created_at",
            "last_used_at",
            "expires_at",
            "user_agent",
            "ip",
            "current",
        }
        for item in sessions
    )
    current = [item for item in sessions if item["current"]]
    assert len(current) == 1
    assert current[0]["user_agent"] == "Phone/1.0"
    assert current[0]["ip"] == "10.1.2.3"
    assert token not in response.content.decode()


def test_delete_session_revokes_that_session_only(user):
    keeper, doomed = session_token(), session_token()
    doomed_id = row_for(doomed).pk

    response = bearer_client(token=keeper).delete(f"/api/v1/auth/sessions/{doomed_id}")

    assert response.status_code == 204
    assert_problem(bearer_client(token=doomed).get("/api/v1/auth/me"), 401)
    assert bearer_client(token=keeper).get("/api/v1/auth/me").status_code == 200


def test_delete_another_users_session_is_404(user, other_user):
    theirs = session_token(email="other@example.com")

    response = bearer_client(token=session_token()).delete(
        f"/api/v1/auth/sessions/{row_for(theirs).pk}"
    )

    assert_problem(response, 404)
    assert bearer_client(token=theirs).get("/api/v1/auth/me").status_code == 200


def test_delete_unknown_session_is_404(auth_client):
    assert_problem(auth_client.delete("/api/v1/auth/sessions/987654"), 404)


def test_signout_all_revokes_every_session_including_current(user, other_user):
    tokens = [session_token() for _ in range(3)]
    theirs = session_token(email="other@example.com")

    response = bearer_client(token=tokens[0]).post("/api/v1/auth/signout-all")

    assert response.status_code == 204
    for token in tokens:
        assert_problem(bearer_client(token=token).get("/api/v1/auth/me"), 401)
    assert bearer_client(token=theirs).get("/api/v1/auth/me").status_code == 200


def mint_api_token(token):
    response = bearer_client(token=token).post(
        "/api/v1/auth/tokens", {"name": "script", "scopes": ["todos:read"]}
    )
    assert response.status_code == 201
    return response.json()["token"]


def test_signout_all_keeps_api_tokens_by_default(user):
    session = session_token()
    api_token = mint_api_token(session)

    assert (
        bearer_client(token=session).post("/api/v1/auth/signout-all").status_code == 204
    )

    assert bearer_client(token=api_token).get("/api/v1/todos").status_code == 200


def test_signout_all_with_include_tokens_ends_api_tokens_too(user, other_user):
    session = session_token()
    api_token = mint_api_token(session)
    theirs = mint_api_token(session_token(email="other@example.com"))

    response = bearer_client(token=session).post(
        "/api/v1/auth/signout-all", {"include_tokens": True}
    )

    assert response.status_code == 204
    assert_problem(bearer_client(token=api_token).get("/api/v1/todos"), 401)
    assert_problem(bearer_client(token=session).get("/api/v1/auth/me"), 401)
    assert bearer_client(token=theirs).get("/api/v1/todos").status_code == 200


def test_signout_all_rejects_a_non_boolean_option_and_ends_nothing(user):
    session = session_token()

    response = bearer_client(token=session).post(
        "/api/v1/auth/signout-all", {"include_tokens": "yes"}
    )

    assert_problem(response, 400, "include_tokens")
    assert bearer_client(token=session).get("/api/v1/auth/me").status_code == 200


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/auth/sessions"),
        ("delete", "/api/v1/auth/sessions/1"),
        ("post", "/api/v1/auth/signout-all"),
        ("post", "/api/v1/auth/password"),
        ("delete", "/api/v1/auth/me"),
    ],
)
def test_session_endpoints_require_authentication(api_client, method, path):
    assert_problem(getattr(api_client, method)(path), 401)


# --- what ends a session, on both carriers -----------------------------------


@pytest.mark.parametrize("carrier", ["bearer", "cookie"])
def test_signout_ends_the_session(carriers, carrier):
    client = carriers[carrier]

    assert client.post("/api/v1/auth/signout").status_code == 204
    assert_problem(client.get("/api/v1/auth/me"), 401)


@pytest.mark.parametrize("carrier", ["bearer", "cookie"])
def test_deactivation_ends_the_session(carriers, carrier, user):
    user.is_active = False
    user.save()

    assert_problem(carriers[carrier].get("/api/v1/auth/me"), 401)


@pytest.mark.parametrize("carrier", ["bearer", "cookie"])
def test_password_change_elsewhere_ends_the_session(carriers, carrier, user):
    changer = bearer_client(token=session_token())

    response = changer.post(
        "/api/v1/auth/password",
        {"current_password": PASSWORD, "new_password": "a whole new passphrase"},
    )

    assert response.status_code == 204
    assert_problem(carriers[carrier].get("/api/v1/auth/me"), 401)
    assert changer.get("/api/v1/auth/me").status_code == 200


@pytest.mark.parametrize("carrier", ["bearer", "cookie"])
def test_password_change_keeps_the_current_session(carriers, carrier, user):
    client = carriers[carrier]
    token = client.cookies["sessionid"].value if carrier == "cookie" else None

    response = client.post(
        "/api/v1/auth/password",
        {"current_password": PASSWORD, "new_password": "a whole new passphrase"},
    )

    assert response.status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 200
    if token:  # same key: the cookie did not change under the browser
        assert client.cookies["sessionid"].value == token
    assert Session.objects.filter(user=user).count() == 1


def test_password_change_also_ends_direct_password_edits_sessions(auth_client, user):
    # A password set another way (the admin) ends sessions through the hash check.
    user.set_password("set by an operator 42")
    user.save()

    assert_problem(auth_client.get("/api/v1/auth/me"), 401)


# --- password change ---------------------------------------------------------


def test_password_change_swaps_the_password(auth_client, user):
    auth_client.post(
        "/api/v1/auth/password",
        {"current_password": PASSWORD, "new_password": "a whole new passphrase"},
    )

    user.refresh_from_db()
    assert user.check_password("a whole new passphrase")
    assert not user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "payload, field",
    [
        (
            {"current_password": "wrong", "new_password": "a whole new passphrase"},
            "current_password",
        ),
        ({"current_password": PASSWORD, "new_password": "short"}, "new_password"),
        ({"current_password": PASSWORD, "new_password": "password"}, "new_password"),
        ({"current_password": PASSWORD, "new_password": PASSWORD}, "new_password"),
        ({"new_password": "a whole new passphrase"}, "current_password"),
        ({"current_password": PASSWORD}, "new_password"),
    ],
)
def test_password_change_rejects_bad_input(auth_client, user, payload, field):
    other = session_token()

    assert_problem(auth_client.post("/api/v1/auth/password", payload), 400, field=field)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert bearer_client(token=other).get("/api/v1/auth/me").status_code == 200


def test_password_checks_are_throttled_per_user(settings, auth_client):
    settings.AUTH_THROTTLE_RATE = "3/min"
    wrong = {"current_password": "guess", "new_password": "a whole new passphrase"}
    for _ in range(3):
        assert_problem(auth_client.post("/api/v1/auth/password", wrong), 400)

    response = auth_client.post("/api/v1/auth/password", wrong)

    assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0


# --- account deletion --------------------------------------------------------


def test_delete_account_removes_user_todos_and_sessions(auth_client, user, make_todo):
    make_todo(tags=["a"])
    other_token = session_token()

    response = auth_client.delete("/api/v1/auth/me", {"password": PASSWORD})

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Todo.objects.exists() and not TodoTag.objects.exists()
    assert not Session.objects.exists()
    assert_problem(bearer_client(token=other_token).get("/api/v1/auth/me"), 401)
    assert_problem(auth_client.get("/api/v1/auth/me"), 401)


@pytest.mark.parametrize("payload", [{"password": "wrong"}, {}, {"password": None}])
def test_delete_account_with_wrong_password_deletes_nothing(
    auth_client, user, make_todo, payload
):
    make_todo()

    assert_problem(
        auth_client.delete("/api/v1/auth/me", payload), 400, field="password"
    )
    assert User.objects.filter(pk=user.pk).exists()
    assert Todo.objects.count() == 1
    assert auth_client.get("/api/v1/auth/me").status_code == 200
