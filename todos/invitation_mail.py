"""
The mail of an invitation to a list, sent by the worker (jobs) as account
mails are (accounts.mail): the request enqueues it in its transaction, so
a revoked or rolled-back invitation sends nothing.
"""

from django.template.loader import render_to_string
from django_tasks import task

from jobs.mail import TRANSIENT_ERRORS, send_message
from jobs.queue import enqueue
from jobs.retry import retrying

SUBJECT = "{inviter} invited you to the list “{name}”"


def mail_invitation(invitation, base_url):
    enqueue(send_invitation, invitation.pk, base_url, attempt=1)


@task()
def send_invitation(invitation_id, base_url, attempt):
    from todos.lists import Invitation

    invitation = (
        Invitation.objects.pending()
        .select_related("list", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return  # revoked, answered or expired meanwhile: nothing to send
    inviter = invitation.invited_by.name or invitation.invited_by.email
    subject = SUBJECT.format(inviter=inviter, name=invitation.list.name)
    context = {
        "invitation": invitation,
        "inviter": inviter,
        "subject": subject,
        "to": invitation.email,
        "link": f"{base_url}/invitations/{invitation.pk}",
    }
    again = (send_invitation, invitation_id, base_url)
    with retrying(*again, attempt=attempt, on=TRANSIENT_ERRORS):
        send_message(
            invitation.email,
            subject,
            render_to_string("todos/mail/invitation.txt", context),
            render_to_string("todos/mail/invitation.html", context),
        )
