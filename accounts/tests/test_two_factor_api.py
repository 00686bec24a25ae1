"""Two-factor sign-in (TOTP, RFC 6238, and recovery codes) through the HTTP API."""

import datetime as dt

import pyotp
import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import SigninChallenge
from testing.helpers import PASSWORD, assert_problem, bearer_client, run_jobs, signin

pytestmark = pytest.mark.django_db


def code_at(secret, offset_steps=0):
    totp = pyotp.TOTP(secret)
    return totp.at(timezone.now() + dt.timedelta(seconds=30 * offset_steps))


def turn_on(client):
    setup = client.post("/api/v1/auth/2fa/setup", {"password": PASSWORD})
    assert setup.status_code == 200, setup.content
    secret = setup.json()["secret"]
    enabled = client.post("/api/v1/auth/2fa/enable", {"code": code_at(secret)})
    assert enabled.status_code == 200, enabled.content
    return secret, enabled.json()["recovery_codes"]


def challenge():
    response = signin()
    assert response.status_code == 202, response.content
    return response.json()["challenge"]


def second_step(key, **code):
    return APIClient().post(
        "/api/v1/auth/signin/2fa", {"challenge": key, **code}, format="json"
    )


def test_setup_shows_a_secret_its_uri_and_a_qr_code(user, auth_client):
    body = auth_client.post("/api/v1/auth/2fa/setup", {"password": PASSWORD}).json()

    assert set(body) == {"secret", "otpauth_uri", "qr_svg"}
    assert body["otpauth_uri"].startswith("otpauth://totp/todoapp:user%40example.com?")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg")
    # Not on until a code proves the app has the secret.
    assert auth_client.get("/api/v1/auth/2fa").json() == {
        "enabled": False,
        "recovery_codes_left": 0,
    }


def test_enable_gives_ten_recovery_codes_and_mails_a_notice(user, auth_client):
    _, codes = turn_on(auth_client)

    assert len(codes) == len(set(codes)) == 10
    assert auth_client.get("/api/v1/auth/2fa").json() == {
        "enabled": True,
        "recovery_codes_left": 10,
    }
    run_jobs()
    assert mail.outbox[-1].subject == "Two-factor sign-in is on"


def test_enable_refuses_a_wrong_code(user, auth_client):
    auth_client.post("/api/v1/auth/2fa/setup", {"password": PASSWORD})

    response = auth_client.post("/api/v1/auth/2fa/enable", {"code": "000000"})

    assert_problem(response, 400, field="code")


def test_setup_needs_the_password_and_not_yet_on(user, auth_client):
    wrong = auth_client.post("/api/v1/auth/2fa/setup", {"password": "nope"})
    assert_problem(wrong, 400, field="password")
    turn_on(auth_client)

    assert_problem(
        auth_client.post("/api/v1/auth/2fa/setup", {"password": PASSWORD}), 409
    )


def test_signin_with_2fa_answers_a_challenge_and_opens_no_session(user, auth_client):
    secret, _ = turn_on(auth_client)

    response = signin()

    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"challenge", "expires_at", "methods"}
    assert body["methods"] == ["totp", "recovery_code"]
    assert "sessionid" not in response.cookies
    done = second_step(body["challenge"], code=code_at(secret, 1))
    assert done.status_code == 200
    assert set(done.json()) == {"user", "token", "expires_at"}
    assert (
        bearer_client(token=done.json()["token"]).get("/api/v1/auth/me").status_code
        == 200
    )


def test_a_totp_code_works_once(user, auth_client):
    secret, _ = turn_on(auth_client)
    code = code_at(secret, 1)
    assert second_step(challenge(), code=code).status_code == 200

    assert_problem(second_step(challenge(), code=code), 400, field="code")


def test_a_recovery_code_works_once(user, auth_client):
    _, codes = turn_on(auth_client)
    assert second_step(challenge(), recovery_code=codes[0]).status_code == 200

    again = second_step(challenge(), recovery_code=codes[0])

    assert_problem(again, 400, field="recovery_code")
    assert auth_client.get("/api/v1/auth/2fa").json()["recovery_codes_left"] == 9


def test_a_challenge_works_once(user, auth_client):
    secret, codes = turn_on(auth_client)
    key = challenge()
    assert second_step(key, recovery_code=codes[0]).status_code == 200

    assert_problem(second_step(key, recovery_code=codes[1]), 400, field="challenge")


def test_a_challenge_dies_after_five_wrong_codes(user, auth_client):
    secret, _ = turn_on(auth_client)
    key = challenge()
    for _ in range(5):
        assert_problem(second_step(key, code="123456"), 400, field="code")

    assert_problem(second_step(key, code=code_at(secret, 1)), 400, field="challenge")


def test_a_challenge_expires(user, auth_client):
    secret, _ = turn_on(auth_client)
    key = challenge()
    SigninChallenge.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert_problem(second_step(key, code=code_at(secret, 1)), 400, field="challenge")


def test_wrong_codes_count_toward_the_sign_in_lockout(user, auth_client, settings):
    settings.SIGNIN_MAX_FAILURES = 3
    turn_on(auth_client)
    for _ in range(3):
        second_step(challenge(), code="123456")

    response = signin()

    assert_problem(response, 429)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"challenge": "x"}, "code"),
        ({"challenge": "x", "code": "1", "recovery_code": "2"}, "code"),
        ({"code": "123456"}, "challenge"),
        ({"challenge": "x", "code": 123456}, "code"),
    ],
)
def test_second_step_rejects_bad_input(body, field):
    response = APIClient().post("/api/v1/auth/signin/2fa", body, format="json")

    assert_problem(response, 400, field=field)


def test_disable_needs_the_password_and_a_code(user, auth_client):
    secret, codes = turn_on(auth_client)
    wrong = auth_client.post(
        "/api/v1/auth/2fa/disable", {"password": PASSWORD, "code": "000000"}
    )
    assert_problem(wrong, 400, field="code")

    response = auth_client.post(
        "/api/v1/auth/2fa/disable", {"password": PASSWORD, "code": code_at(secret, 1)}
    )

    assert response.status_code == 204
    assert signin().status_code == 200
    run_jobs()
    assert mail.outbox[-1].subject == "Two-factor sign-in is off"
    assert_problem(
        auth_client.post(
            "/api/v1/auth/2fa/disable", {"password": PASSWORD, "code": codes[0]}
        ),
        409,
    )


def test_new_recovery_codes_replace_the_old_ones(user, auth_client):
    _, old = turn_on(auth_client)

    response = auth_client.post(
        "/api/v1/auth/2fa/recovery-codes", {"password": PASSWORD, "code": old[0]}
    )

    new = response.json()["recovery_codes"]
    assert response.status_code == 200 and len(new) == 10
    assert_problem(
        second_step(challenge(), recovery_code=old[1]), 400, field="recovery_code"
    )
    assert second_step(challenge(), recovery_code=new[0]).status_code == 200


def test_api_tokens_cannot_change_2fa(user, auth_client):
    issued = auth_client.post(
        "/api/v1/auth/tokens", {"name": "s", "scopes": ["todos:write"]}, format="json"
    ).json()["token"]

    response = bearer_client(token=issued).post(
        "/api/v1/auth/2fa/setup", {"password": PASSWORD}
    )

    assert_problem(response, 403)


def test_operators_can_turn_2fa_off_from_the_admin(user, auth_client, client):
    from accounts.models import User

    turn_on(auth_client)
    admin = User.objects.create_superuser(email="admin@example.com", password="x")
    client.force_login(admin)
    assert "icon-yes" in client.get("/admin/accounts/user/").content.decode()

    response = client.post(
        "/admin/accounts/user/",
        {"action": "turn_two_factor_off", "_selected_action": [user.pk]},
    )

    assert response.status_code == 302
    assert signin().status_code == 200


def test_an_unsupported_method_is_a_405_whatever_the_2fa_state(user, auth_client):
    response = auth_client.generic("TRACE", "/api/v1/auth/2fa/disable")

    assert_problem(response, 405)
