"""
Password reset and email verification through the HTTP API, with the mail
jobs run by the worker's own loop (testing.helpers.run_jobs) and the mail
read from Django's test outbox. (The same flows against a real SMTP server
and a real worker process: jobs/tests/test_live_worker.py.)
"""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.mail import mail_user
from accounts.models import AccountToken, ApiToken
from testing.helpers import (
    PASSWORD,
    assert_problem,
    bearer_client,
    mailed_link,
    run_jobs,
    signin,
    token_of,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-whole-new-passphrase-42"


def reset_link(email="user@example.com"):
    response = APIClient().post("/api/v1/auth/password/reset", {"email": email})
    assert response.status_code == 202
    run_jobs()
    return mailed_link(mail.outbox[-1], "/reset-password")


def confirm(token, new_password=NEW_PASSWORD):
    return APIClient().post(
        "/api/v1/auth/password/reset/confirm",
        {"token": token, "new_password": new_password},
    )


# --- password reset ----------------------------------------------------------


def test_reset_mails_a_link_that_sets_a_new_password(user):
    link = reset_link()

    assert mail.outbox[-1].to == ["user@example.com"]
    assert mail.outbox[-1].subject == "Reset your password"
    html = mail.outbox[-1].alternatives[0]
    assert link.replace("&", "&amp;") in html[0] and html[1] == "text/html"
    assert link.startswith("http://testserver/reset-password?token=")
    assert confirm(token_of(link)).status_code == 204
    assert signin(password=NEW_PASSWORD).status_code == 200
    assert signin(password=PASSWORD).status_code == 401


def test_reset_answers_the_same_for_an_unknown_address(user):
    known = APIClient().post(
        "/api/v1/auth/password/reset", {"email": "user@example.com"}
    )
    unknown = APIClient().post(
        "/api/v1/auth/password/reset", {"email": "no@example.com"}
    )

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    run_jobs()
    assert [message.to for message in mail.outbox] == [["user@example.com"]]


def test_reset_ends_every_session_and_api_token_and_sends_a_notice(user, auth_client):
    auth_client.post(
        "/api/v1/auth/tokens",
        {"name": "script", "scopes": ["todos:read"]},
        format="json",
    )
    assert ApiToken.objects.filter(user=user).exists()

    assert confirm(token_of(reset_link())).status_code == 204
    run_jobs()

    assert auth_client.get("/api/v1/auth/me").status_code == 401
    assert not ApiToken.objects.filter(user=user).exists()
    assert mail.outbox[-1].subject == "Your password was reset"


def test_reset_token_works_once(user):
    token = token_of(reset_link())
    assert confirm(token).status_code == 204

    assert_problem(confirm(token, "yet-another-passphrase-7"), 400, field="token")


def test_reset_token_dies_when_a_newer_one_is_issued(user):
    older = token_of(reset_link())
    newer = token_of(reset_link())

    assert_problem(confirm(older), 400, field="token")
    assert confirm(newer).status_code == 204


def test_reset_token_dies_when_the_password_changes_otherwise(user):
    token = token_of(reset_link())
    user.set_password("changed-by-the-admin-99")
    user.save()

    assert_problem(confirm(token), 400, field="token")


def test_reset_token_expires(user):
    token = token_of(reset_link())
    AccountToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert_problem(confirm(token), 400, field="token")


def test_reset_refuses_a_weak_password_and_keeps_the_link(user):
    token = token_of(reset_link())

    assert_problem(confirm(token, "123"), 400, field="new_password")
    assert confirm(token).status_code == 204


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "email"),
        ({"email": "not an address"}, "email"),
        ({"email": ["user@example.com"]}, "email"),
    ],
)
def test_reset_request_rejects_bad_input(body, field):
    response = APIClient().post("/api/v1/auth/password/reset", body, format="json")

    assert_problem(response, 400, field=field)


@pytest.mark.parametrize("token", ["", "x" * 101, "unknown-token"])
def test_reset_confirm_rejects_bad_tokens(user, token):
    assert_problem(confirm(token), 400, field="token")


def test_reset_mails_are_throttled_per_address(user, settings):
    settings.ACCOUNT_MAIL_THROTTLE_RATE = "2/hour"
    for _ in range(2):
        assert (
            APIClient()
            .post("/api/v1/auth/password/reset", {"email": "user@example.com"})
            .status_code
            == 202
        )

    response = APIClient().post(
        "/api/v1/auth/password/reset", {"email": "USER@example.com"}
    )

    assert_problem(response, 429)
    assert "Retry-After" in response


def test_no_token_is_stored_or_queued_in_the_clear(user):
    token = token_of(reset_link())

    from django_tasks_db.models import DBTaskResult

    stored = [str(row.args_kwargs) for row in DBTaskResult.objects.all()]
    assert stored and not any(token in row for row in stored)
    assert not AccountToken.objects.filter(key_hash=token).exists()


def test_links_point_at_the_configured_front_end(user, settings):
    settings.ACCOUNT_LINK_BASE_URL = "https://app.example.com"

    assert reset_link().startswith("https://app.example.com/reset-password?token=")


# --- email verification ------------------------------------------------------


def test_signup_mails_a_verification_link(api_client):
    response = api_client.post(
        "/api/v1/auth/signup", {"email": "new@example.com", "password": PASSWORD}
    )
    assert response.json()["user"]["email_verified"] is False
    run_jobs()
    link = mailed_link(mail.outbox[-1], "/verify-email")

    verified = APIClient().post("/api/v1/auth/email/verify", {"token": token_of(link)})

    assert verified.status_code == 200
    assert verified.json()["email_verified"] is True
    me = bearer_client(token=response.json()["token"]).get("/api/v1/auth/me").json()
    assert me["email_verified"] is True


def test_verification_link_works_once(api_client):
    api_client.post(
        "/api/v1/auth/signup", {"email": "new@example.com", "password": PASSWORD}
    )
    run_jobs()
    token = token_of(mailed_link(mail.outbox[-1], "/verify-email"))
    assert (
        APIClient().post("/api/v1/auth/email/verify", {"token": token}).status_code
        == 200
    )

    again = APIClient().post("/api/v1/auth/email/verify", {"token": token})

    assert_problem(again, 400, field="token")


def test_a_fresh_verification_link_can_be_asked_for(user, auth_client):
    response = auth_client.post("/api/v1/auth/email/verification")

    assert response.status_code == 202
    run_jobs()
    token = token_of(mailed_link(mail.outbox[-1], "/verify-email"))
    assert (
        APIClient().post("/api/v1/auth/email/verify", {"token": token}).status_code
        == 200
    )
    already = auth_client.post("/api/v1/auth/email/verification")
    assert already.status_code == 202 and "already" in already.json()["detail"]


def test_api_tokens_cannot_ask_for_verification_links(user, auth_client):
    issued = auth_client.post(
        "/api/v1/auth/tokens",
        {"name": "script", "scopes": ["todos:read"]},
        format="json",
    ).json()["token"]

    response = bearer_client(token=issued).post("/api/v1/auth/email/verification")

    assert_problem(response, 403)


def test_password_change_sends_a_notice(user, auth_client):
    auth_client.post(
        "/api/v1/auth/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    run_jobs()

    assert mail.outbox[-1].subject == "Your password was changed"
    assert mail.outbox[-1].to == ["user@example.com"]


def test_mail_of_a_rolled_back_write_is_never_sent(user, rf):
    # The job row is written in the transaction of the write that causes it.
    with pytest.raises(RuntimeError), transaction.atomic():
        mail_user(rf.get("/"), "password_changed", user)
        raise RuntimeError("the write fails after enqueuing its mail")
    run_jobs()

    assert mail.outbox == []
    mail_user(rf.get("/"), "password_changed", user)
    run_jobs()
    assert len(mail.outbox) == 1


# --- the admin's actions -----------------------------------------------------


@pytest.fixture
def admin_client(client):
    from accounts.models import User

    admin = User.objects.create_superuser(email="admin@example.com", password="x")
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "action, subject",
    [
        ("send_verification_link", "Verify your email address"),
        ("send_password_reset_link", "Reset your password"),
    ],
)
def test_operators_can_mail_links_from_the_admin(admin_client, user, action, subject):
    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": action, "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    run_jobs()

    assert [(m.to, m.subject) for m in mail.outbox] == [(["user@example.com"], subject)]
    listed = admin_client.get("/admin/accounts/user/?email_verified__exact=0")
    assert "user@example.com" in listed.content.decode()


# --- email change ------------------------------------------------------------


def ask_change(client, new_email="new@example.com", password=PASSWORD):
    return client.post(
        "/api/v1/auth/email/change", {"new_email": new_email, "password": password}
    )


def test_email_change_moves_the_account_once_the_new_address_confirms(
    user, auth_client
):
    assert ask_change(auth_client).status_code == 202
    run_jobs()
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"new@example.com", "user@example.com"}
    assert "new@example.com" in by_address["user@example.com"].body
    link = mailed_link(by_address["new@example.com"], "/confirm-email")
    assert auth_client.get("/api/v1/auth/me").json()["email"] == "user@example.com"

    confirmed = APIClient().post(
        "/api/v1/auth/email/change/confirm", {"token": token_of(link)}
    )

    assert confirmed.status_code == 200
    assert confirmed.json()["email"] == "new@example.com"
    assert confirmed.json()["email_verified"] is True
    # Sessions are kept; the old address is told; sign-in uses the new one.
    assert auth_client.get("/api/v1/auth/me").json()["email"] == "new@example.com"
    run_jobs()
    assert mail.outbox[-1].to == ["user@example.com"]
    assert mail.outbox[-1].subject == "Your email address was changed"
    assert signin(email="new@example.com").status_code == 200


@pytest.mark.parametrize(
    "new_email, password, field",
    [
        ("new@example.com", "wrong password", "password"),
        ("USER@example.com", PASSWORD, "new_email"),
        ("other@example.com", PASSWORD, "new_email"),
        ("not an address", PASSWORD, "new_email"),
    ],
)
def test_email_change_rejects_bad_requests(
    user, other_user, auth_client, new_email, password, field
):
    response = ask_change(auth_client, new_email, password)

    assert_problem(response, 400, field=field)
    run_jobs()
    assert mail.outbox == []


def test_email_change_fails_if_the_address_was_taken_meanwhile(
    user, auth_client, make_user
):
    ask_change(auth_client)
    run_jobs()
    link = mailed_link(
        next(m for m in mail.outbox if m.to == ["new@example.com"]), "/confirm-email"
    )
    make_user("new@example.com")

    response = APIClient().post(
        "/api/v1/auth/email/change/confirm", {"token": token_of(link)}
    )

    assert_problem(response, 400, field="token")
    assert auth_client.get("/api/v1/auth/me").json()["email"] == "user@example.com"


def test_api_tokens_cannot_change_the_email(user, auth_client):
    issued = auth_client.post(
        "/api/v1/auth/tokens", {"name": "s", "scopes": ["todos:write"]}, format="json"
    ).json()["token"]

    assert_problem(ask_change(bearer_client(token=issued)), 403)


# --- REQUIRE_EMAIL_VERIFICATION ----------------------------------------------


@pytest.fixture
def verification_required(settings):
    settings.REQUIRE_EMAIL_VERIFICATION = True


def test_required_signup_answers_alike_for_a_new_and_a_taken_address(
    verification_required, make_user
):
    make_user("taken@example.com")

    new = APIClient().post(
        "/api/v1/auth/signup", {"email": "fresh@example.com", "password": PASSWORD}
    )
    taken = APIClient().post(
        "/api/v1/auth/signup", {"email": "TAKEN@example.com", "password": PASSWORD}
    )

    assert new.status_code == taken.status_code == 202
    assert new.json() == taken.json()
    assert "sessionid" not in new.cookies and "sessionid" not in taken.cookies
    run_jobs()
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects == {
        "fresh@example.com": "Verify your email address",
        "taken@example.com": "Someone tried to sign up with your address",
    }


def test_required_signin_of_an_unverified_address_is_refused_with_a_fresh_link(
    verification_required, api_client
):
    APIClient().post(
        "/api/v1/auth/signup", {"email": "fresh@example.com", "password": PASSWORD}
    )
    run_jobs()
    mail.outbox.clear()

    refused = signin(email="fresh@example.com")

    body = assert_problem(refused, 403)
    assert body["code"] == "email_not_verified"
    run_jobs()
    link = mailed_link(mail.outbox[-1], "/verify-email")
    APIClient().post("/api/v1/auth/email/verify", {"token": token_of(link)})
    assert signin(email="fresh@example.com").status_code == 200


def test_required_signup_still_checks_the_password(verification_required):
    response = APIClient().post(
        "/api/v1/auth/signup", {"email": "fresh@example.com", "password": "123"}
    )

    assert_problem(response, 400, field="password")
