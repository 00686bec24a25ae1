"""The pages the account mails link to (accounts.pages), in-process."""

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from testing.helpers import mailed_link, run_jobs, signin, token_of

pytestmark = pytest.mark.django_db


def reset_token():
    APIClient().post("/api/v1/auth/password/reset", {"email": "user@example.com"})
    run_jobs()
    return token_of(mailed_link(mail.outbox[-1], "/reset-password"))


def test_reset_page_shows_a_form_with_the_token(user):
    token = reset_token()

    page = Client().get("/reset-password", {"token": token})

    assert page.status_code == 200
    assert f'value="{token}"' in page.content.decode()
    assert "no-store" in page["Cache-Control"]


def test_reset_page_refuses_a_post_without_its_csrf_token(user):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/reset-password",
        {
            "token": reset_token(),
            "new_password": "x" * 20,
            "new_password_again": "x" * 20,
        },
    )

    assert response.status_code == 403
    assert signin(password="x" * 20).status_code == 401


def test_reset_page_sets_the_password_with_its_form(user):
    client = Client(enforce_csrf_checks=True)
    token = reset_token()
    client.get("/reset-password", {"token": token})
    password = "typed-twice-on-a-phone-8"

    response = client.post(
        "/reset-password",
        {
            "token": token,
            "new_password": password,
            "new_password_again": password,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )

    assert response.status_code == 200
    assert "Sign in with the new password" in response.content.decode()
    assert signin(password=password).status_code == 200


def test_reset_page_says_when_the_passwords_differ(user):
    response = Client().post(
        "/reset-password",
        {"token": reset_token(), "new_password": "a" * 20, "new_password_again": "b"},
    )

    assert response.status_code == 400
    assert "The two passwords differ." in response.content.decode()


def test_verify_page_with_a_bad_token_says_so(user):
    response = Client().post("/verify-email", {"token": "nope"})

    assert response.status_code == 400
    assert "invalid or has expired" in response.content.decode()


def test_the_invitation_page_says_how_to_answer_and_nothing_of_the_invitation():
    page = Client().get("/invitations/12345")

    assert page.status_code == 200
    assert "sign in to todoapp with the address" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
