"""
The pages the account mails link to, in headless Chromium: the links come
out of mail a real worker sent to a real SMTP server; the forms are
submitted as a person would, on a phone-sized screen, under the pages'
Content-Security-Policy.
"""

import re

import pytest
import requests
from playwright.sync_api import sync_playwright

from testing import PASSWORD
from testing.servers import LiveServer, SmtpSink, Worker, link_in, scratch_database

pytestmark = pytest.mark.live

CHROMIUM = "/usr/bin/chromium"
PAGE_TIMEOUT_MS = 60_000
NEW_PASSWORD = "chosen-in-the-browser-77"


@pytest.fixture(scope="module")
def stack():
    with (
        scratch_database() as database,
        SmtpSink() as smtp,
        LiveServer(env={"DATABASE_URL": database, "EMAIL_URL": smtp.url}) as server,
        Worker(database, env={"EMAIL_URL": smtp.url}),
    ):
        yield server, smtp


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    yield page
    assert page.evaluate("window.__violations") == []
    context.close()


def mail_with(smtp, to, subject):
    messages = smtp.wait_for(to, count=1)
    while not any(message["Subject"] == subject for message in messages):
        messages = smtp.wait_for(to, count=len(messages) + 1)
    return next(message for message in messages if message["Subject"] == subject)


def test_the_verification_link_verifies_the_address(stack, page):
    server, smtp = stack
    token = server.signup("verify@example.com")
    message = mail_with(smtp, "verify@example.com", "Verify your email address")

    page.goto(link_in(message, "/verify-email"))
    page.get_by_role("button", name="Verify my email").click()

    page.get_by_text("verify@example.com is verified").wait_for()
    me = requests.get(
        f"{server.api}/auth/me",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert me.json()["email_verified"] is True


def test_the_reset_link_sets_a_new_password(stack, page):
    server, smtp = stack
    server.signup("reset@example.com")
    requests.post(
        f"{server.api}/auth/password/reset",
        json={"email": "reset@example.com"},
        timeout=60,
    ).raise_for_status()
    message = mail_with(smtp, "reset@example.com", "Reset your password")

    page.goto(link_in(message, "/reset-password"))
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("The same again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()

    page.get_by_text("Sign in with the new password").wait_for()
    signed_in = requests.post(
        f"{server.api}/auth/signin",
        json={"email": "reset@example.com", "password": NEW_PASSWORD},
        timeout=60,
    )
    assert signed_in.status_code == 200


def test_a_used_reset_link_says_so(stack, page):
    server, smtp = stack
    server.signup("twice@example.com")
    requests.post(
        f"{server.api}/auth/password/reset",
        json={"email": "twice@example.com"},
        timeout=60,
    ).raise_for_status()
    message = mail_with(smtp, "twice@example.com", "Reset your password")
    link = link_in(message, "/reset-password")
    token = link.rsplit("token=", 1)[1]
    requests.post(
        f"{server.api}/auth/password/reset/confirm",
        json={"token": token, "new_password": NEW_PASSWORD},
        timeout=60,
    ).raise_for_status()

    page.goto(link)
    page.get_by_label("New password").fill("another-one-entirely-5")
    page.get_by_label("The same again").fill("another-one-entirely-5")
    page.get_by_role("button", name="Set the new password").click()

    page.get_by_role("alert").get_by_text("invalid or has expired").wait_for()


def test_the_confirmation_link_moves_the_account(stack, page):
    server, smtp = stack
    token = server.signup("old@example.com")
    requests.post(
        f"{server.api}/auth/email/change",
        json={"new_email": "moved@example.com", "password": PASSWORD},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    ).raise_for_status()
    message = mail_with(smtp, "moved@example.com", "Confirm your new email address")

    page.goto(link_in(message, "/confirm-email"))
    page.get_by_role("button", name="Confirm my new email").click()

    page.get_by_text("The account now uses moved@example.com").wait_for()
    mail_with(smtp, "old@example.com", "Your email address was changed")


def test_an_invitations_link_says_how_to_answer_it(stack, page):
    server, smtp = stack
    token = server.signup("host@example.com")
    headers = {"Authorization": f"Bearer {token}"}
    made = requests.post(
        f"{server.api}/lists", json={"name": "Camping"}, headers=headers, timeout=60
    )
    requests.post(
        f"{server.api}/lists/{made.json()['id']}/invitations",
        json={"email": "guest@example.com"},
        headers=headers,
        timeout=60,
    ).raise_for_status()
    (message,) = smtp.wait_for("guest@example.com", count=1)
    assert "invited you to the list" in message["Subject"], message["Subject"]
    assert "Camping" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/invitations/\d+", text)
    assert link, text

    page.goto(link.group(0))

    page.get_by_role("heading", name="You are invited to a shared list").wait_for()
    page.get_by_text("sign in to todoapp with the address").wait_for()
