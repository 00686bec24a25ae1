"""
The mails of account flows, sent by the worker (jobs): links to verify an
address, reset a password or confirm a new address, and security notices.

A request enqueues a job naming the mail and the user, in its transaction;
the job issues the link's token (accounts.links) and sends. So no token is
ever stored but as its digest (not even in the job's arguments), and the
request costs the same whether or not a mail is sent. A failed send is
retried with backoff (jobs.retry), with a fresh token each attempt.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django_tasks import task

from accounts import links
from accounts.links import Purpose
from jobs.mail import TRANSIENT_ERRORS, send_message
from jobs.queue import enqueue
from jobs.retry import retrying


@dataclass(frozen=True)
class Mail:
    subject: str
    purpose: str | None = None  # the link it carries, if any
    to_new_email: bool = False  # to the address an email change moves to


MAILS = {
    "verify_email": Mail("Verify your email address", Purpose.VERIFY_EMAIL),
    "reset_password": Mail("Reset your password", Purpose.RESET_PASSWORD),
    "password_changed": Mail("Your password was changed"),
    "password_reset": Mail("Your password was reset"),
    # To the new address: the link that moves the account there.
    "confirm_email": Mail(
        "Confirm your new email address", Purpose.CHANGE_EMAIL, to_new_email=True
    ),
    # To the old address, when the change is asked for and when it is done.
    "email_change_requested": Mail("A change of your email address was requested"),
    "email_changed": Mail("Your email address was changed"),
    "signup_attempt": Mail("Someone tried to sign up with your address"),
    "two_factor_enabled": Mail("Two-factor sign-in is on"),
    "two_factor_disabled": Mail("Two-factor sign-in is off"),
}


def link_base(request):
    """Where links point: ACCOUNT_LINK_BASE_URL, else this server's own address."""
    return settings.ACCOUNT_LINK_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def mail_user(request, name, user, **about):
    """
    Send mail `name` to `user` from the worker, once this transaction
    commits. `about`: `to` (another address than the user's current one) and
    `new_email` (the address an email change moves to).
    """
    enqueue(send_account_mail, name, user.pk, link_base(request), attempt=1, **about)


def mail_password_reset(request, email):
    """A reset link for the account of `email`, if there is one (the job looks)."""
    enqueue(send_password_reset, email, link_base(request), attempt=1)


@task()
def send_account_mail(name, user_id, base_url, attempt, **about):
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    again = (send_account_mail, name, user_id, base_url)
    with retrying(*again, attempt=attempt, on=TRANSIENT_ERRORS, **about):
        _send(name, user, base_url, **about)


@task()
def send_password_reset(email, base_url, attempt):
    user = get_user_model().objects.filter(email=email, is_active=True).first()
    if user is None:
        return  # the same request, the same answer; nothing to send
    again = (send_password_reset, email, base_url)
    with retrying(*again, attempt=attempt, on=TRANSIENT_ERRORS):
        _send("reset_password", user, base_url)


def _send(name, user, base_url, to=None, new_email=None):
    mail = MAILS[name]
    to = to or (new_email if mail.to_new_email else user.email)
    context = {"user": user, "subject": mail.subject, "to": to, "new_email": new_email}
    if mail.purpose is not None:
        token = links.issue(user, mail.purpose, email=new_email)
        context["link"] = links.link(base_url, mail.purpose, token)
    send_message(
        to,
        mail.subject,
        render_to_string(f"accounts/mail/{name}.txt", context),
        render_to_string(f"accounts/mail/{name}.html", context),
    )
