"""
Delivering armed reminders (todos.reminders) by mail: the scheduler every
worker process runs (the `worker` command, every REMINDER_INTERVAL seconds),
as many of them as there are workers, on any machines.

Why not a job per reminder on the job queue: the queue's jobs are pushed
at a write, and a reminder is due at a time no write marks; and with
TASKS_BACKEND=redis a job pushed after a commit can be lost. So the armed
rows are the queue, in the database, and a delivery is leased like a job:

- A tick takes up to BATCH reminders whose time has come (one indexed
  query; `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two workers never take
  the same row, and SQLite's one writer at a time does the same), marks
  them with its claim and a lease of REMINDER_LEASE seconds, and commits.
- For each, it renews the lease (still its claim: not re-armed or disarmed
  meanwhile), sends the mail, then deletes the row. A worker killed before
  the mail was accepted leaves the row to whichever worker takes it once
  the lease has lapsed; a mail server that fails defers it with backoff
  (jobs.retry's delays, up to JOB_MAX_ATTEMPTS).

What no scheduler can rule out: a worker killed after the mail server
accepted a mail and before the row's deletion commits (a window of one
round trip) sends it again when its lease lapses. The mail then carries
the same Message-ID, which mail clients show once.
"""

import datetime as dt
import email.utils
import logging
import uuid

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from jobs.mail import send_message
from jobs.retry import delay_before
from todos import due
from todos.reminders import Reminder

BATCH = 50
SUBJECT = "Reminder: {title}"

logger = logging.getLogger(__name__)


def run_due():
    """Deliver every reminder due now, a batch at a time (the worker's tick)."""
    while deliver_batch() == BATCH:
        pass


def deliver_batch(now=None):
    """Take up to BATCH due reminders and mail each; how many were taken."""
    now = now or timezone.now()
    claim, taken = take_due(now)
    if taken:
        whom = recipients(taken)
        for reminder in taken:
            deliver(reminder, claim, now, whom.get(reminder.pk))
    return len(taken)


def take_due(now):
    """(claim, reminders): due reminders, now this scheduler's for a lease."""
    lease_ends = now + dt.timedelta(seconds=settings.REMINDER_LEASE)
    with transaction.atomic():
        due_now = (
            Reminder.objects.filter(next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        ids = list(due_now[:BATCH])
        if not ids:
            return None, []
        claim = uuid.uuid4()
        Reminder.objects.filter(pk__in=ids).update(
            claim=claim, next_attempt_at=lease_ends, attempts=F("attempts") + 1
        )
    taken = (
        Reminder.objects.filter(claim=claim)
        .select_related("todo__list")
        .order_by("fires_at", "pk")
    )
    return claim, list(taken)


def deliver(reminder, claim, now, to):
    """
    Mail one reminder taken under `claim` by the tick of `now` to user `to`
    (see recipients()), unless it is no longer ours.
    """
    now = max(now, timezone.now())  # a batch's later mails come later
    ours = Reminder.objects.filter(pk=reminder.pk, claim=claim)
    lease_ends = now + dt.timedelta(seconds=settings.REMINDER_LEASE)
    if not ours.update(next_attempt_at=lease_ends):
        return  # re-armed or disarmed since it was taken
    try:
        if to is not None:
            _send(reminder, to)
    except Exception:
        _defer(reminder, ours, now)
        return
    ours.delete()


def _defer(reminder, ours, now):
    if reminder.attempts >= settings.JOB_MAX_ATTEMPTS:
        logger.exception("Giving up on %s.", reminder)
        ours.delete()
        return
    logger.warning("Delivering %s failed; trying again later.", reminder, exc_info=True)
    retry_at = now + delay_before(reminder.attempts)
    ours.update(claim=None, next_attempt_at=retry_at)


def recipients(reminders):
    """
    {reminder id: user} for reminders of one batch, in one query: each
    reminder's recipient (todos.reminders.recipient_of) while they still see
    the todo's list, else the list's owner (none if neither is active).
    """
    from todos.lists import Membership

    lists = {reminder.todo.list_id for reminder in reminders}
    people = {
        person
        for reminder in reminders
        for person in (reminder.recipient_id, reminder.todo.owner_id)
    }
    seeing = (
        Membership.objects.filter(
            list_id__in=lists, user_id__in=people, user__is_active=True
        )
        .select_related("user")
        .only("list_id", "user")
    )
    sees = {(member.list_id, member.user_id): member.user for member in seeing}
    whom = {}
    for reminder in reminders:
        list_id = reminder.todo.list_id
        whom[reminder.pk] = sees.get((list_id, reminder.recipient_id)) or sees.get(
            (list_id, reminder.todo.owner_id)
        )
    return whom


def _send(reminder, to):
    todo = reminder.todo
    subject = SUBJECT.format(title=todo.title)
    base = settings.ACCOUNT_LINK_BASE_URL or settings.SITE_URL
    context = {
        "todo": todo,
        "subject": subject,
        "to": to.email,
        "due": due_text(todo, to),
        "link": f"{base}/todos/{todo.pk}",
    }
    # Each send is bounded well within the lease (one timeout per SMTP
    # step), so a slow mail server cannot let another worker take it too.
    connection = get_connection(
        timeout=min(settings.EMAIL_TIMEOUT, max(1, settings.REMINDER_LEASE / 10))
    )
    send_message(
        to.email,
        subject,
        render_to_string("todos/mail/reminder.txt", context),
        render_to_string("todos/mail/reminder.html", context),
        headers={"Message-ID": message_id(reminder)},
        connection=connection,
    )


def message_id(reminder):
    """The same for every attempt at one firing: a resent copy shows once."""
    sender = email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    domain = sender.rpartition("@")[2] or "todoapp"
    fires = int(reminder.fires_at.timestamp())
    return f"<reminder.{reminder.todo_id}.{reminder.position}.{fires}@{domain}>"


def due_text(todo, to):
    """When the todo is due, as its recipient reads it."""
    if todo.due_date is None:
        return None
    if todo.due_at is None:
        return f"{todo.due_date:%A %-d %B %Y}"
    zone_name = todo.due_timezone or to.timezone
    local = todo.due_at.astimezone(due.zone(zone_name))
    return f"{local:%A %-d %B %Y, %H:%M} ({zone_name})"
