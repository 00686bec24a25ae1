"""
A todo's reminders: up to five, each `{"before": "PT15M"}` (a duration
before its due instant) or `{"at": "2026-12-03T08:00:00Z"}` (an instant),
kept as given on the todo (`Todo.reminders`), and armed here as Reminder
rows, one per reminder still to fire for the todo's current occurrence.
The worker's scheduler (todos.reminder_delivery) mails each armed one once
its time has come and deletes it; the ledger re-arms a todo's whenever
what they depend on changes (its due, its reminders, its completion, whom
they go to), so a recurring todo's re-arm for each occurrence.
"""

import datetime as dt
import re

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

MAX_REMINDERS = 5
LONGEST_BEFORE = dt.timedelta(days=366)

# ISO 8601 durations of fixed length: weeks, days, hours, minutes, seconds.
# Written here because Django's parse_duration also takes "15:00" and other
# non-ISO forms, and no weeks; years and months are refused on purpose (a
# month before a due has no fixed length).
DURATION = re.compile(
    r"P(?!$)(?:(?P<weeks>[0-9]{1,3})W)?(?:(?P<days>[0-9]{1,3})D)?"
    r"(?:T(?=[0-9])(?:(?P<hours>[0-9]{1,4})H)?(?:(?P<minutes>[0-9]{1,6})M)?"
    r"(?:(?P<seconds>[0-9]{1,8})S)?)?"
)
# The same, for the schema: ECMA-262 has no (?P<name>...) groups.
DURATION_PATTERN = "^" + re.sub(r"\(\?P<\w+>", "(", DURATION.pattern) + "$"
BEFORE_HELP = (
    "An ISO 8601 duration before the due instant (`PT15M`, `PT1H30M`, `P1D`, "
    "`P1W`; weeks, days, hours, minutes and seconds, at most a year); needs "
    "a timed todo."
)


SHAPE = 'Each reminder is {"before": duration} or {"at": instant}.'


class InvalidReminders(ValueError):
    """`errors`: {position: {key: message}}, for the field's error."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors

    def messages(self):
        """One line per error, for a form (the admin's)."""

        def text(error):
            return error if isinstance(error, str) else next(iter(error.values()))

        return [
            text(error) if at is None else f"Reminder {at + 1}: {text(error)}"
            for at, error in self.errors.items()
        ]


def parse_before(text):
    """The timedelta of an ISO 8601 duration; ValueError if it is none."""
    found = DURATION.fullmatch(text.upper()) if isinstance(text, str) else None
    if found is None or not any(found.groupdict().values()):
        raise ValueError(
            "Not an ISO 8601 duration such as PT15M, PT1H or P1D (weeks, days, "
            "hours, minutes, seconds)."
        )
    parts = {unit: int(n) for unit, n in found.groupdict().items() if n}
    before = dt.timedelta(**parts)
    if before > LONGEST_BEFORE:
        raise ValueError("At most a year (P366D) before the due.")
    return before


def parse_at(text):
    """An aware instant from RFC 3339 text, as UTC; ValueError otherwise."""
    at = None
    if isinstance(text, str) and len(text) <= 40:
        try:
            at = parse_datetime(text.upper())  # RFC 3339 allows "t" and "z"
        except ValueError:
            at = None
    if at is None or at.tzinfo is None:
        raise ValueError(
            "Not an RFC 3339 instant with its offset (2026-12-03T08:00:00Z)."
        )
    try:
        return at.astimezone(dt.UTC)
    except OverflowError:  # past year 9999 (or before year 1) in UTC
        raise ValueError("Out of range.") from None


def normalise(items):
    """
    The reminders given, checked and in their stored form (`before` upper-
    cased, `at` in UTC); InvalidReminders naming each bad position.
    """
    if items is None:
        return []
    if not isinstance(items, list):
        raise InvalidReminders({None: "Expected a list of reminders."})
    if len(items) > MAX_REMINDERS:  # before any per-item work
        raise InvalidReminders({None: f"At most {MAX_REMINDERS} reminders."})
    stored, seen, errors = [], [], {}
    for position, item in enumerate(items):
        if not isinstance(item, dict) or len(item) != 1 or item.keys() - KINDS:
            errors[position] = SHAPE
            continue
        ((kind, value),) = item.items()
        try:
            reminder = {kind: KINDS[kind](value)}
        except ValueError as exc:
            errors[position] = {kind: str(exc)}
            continue
        # The same moment twice (PT60M and PT1H alike) would mail twice.
        same = {kind: parse_before(value) if kind == "before" else reminder[kind]}
        if same in seen:
            errors[position] = "The same reminder twice."
        seen.append(same)
        stored.append(reminder)
    if errors:
        raise InvalidReminders(errors)
    return stored


def _stored_before(text):
    parse_before(text)
    return text.upper()


def _stored_at(text):
    return as_text(parse_at(text))


def as_text(instant):
    """RFC 3339 in UTC, as the API renders instants (`...Z`)."""
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# Each kind of reminder, and its value as stored.
KINDS = {"before": _stored_before, "at": _stored_at}


def needing_a_time(reminders):
    """The positions of `before` reminders (they need a timed todo)."""
    return [n for n, reminder in enumerate(reminders) if "before" in reminder]


def firings(todo):
    """
    {position: instant} of `todo`'s reminders for its current occurrence:
    none once completed; a `before` one only while it is timed.
    """
    if todo.completed:
        return {}
    fired = {}
    for position, reminder in enumerate(todo.reminders or ()):
        if "at" in reminder:
            fired[position] = parse_at(reminder["at"])
        elif todo.due_at is not None:
            try:
                fired[position] = todo.due_at - parse_before(reminder["before"])
            except OverflowError:  # due in year 1: long past, never fires
                continue
    return fired


def recipient_of(todo):
    """Whom a todo's reminders go to: its assignee, else its creator."""
    return todo.assignee_id or todo.created_by_id or todo.owner_id


def current_recipient(todo):
    """
    recipient_of(`todo`) while they still see its list, else the list's
    owner (a creator who left it); a query only when that is someone else.
    """
    from todos.lists import Membership

    recipient = recipient_of(todo)
    if recipient == todo.owner_id:
        return recipient
    if Membership.objects.filter(list_id=todo.list_id, user_id=recipient).exists():
        return recipient
    return todo.owner_id


def redirect_from(user_id, todo_list):
    """A member leaves `todo_list`: what was armed for them goes to its owner."""
    Reminder.objects.filter(todo__list=todo_list, recipient_id=user_id).update(
        recipient_id=todo_list.owner_id
    )


class ReminderQuerySet(models.QuerySet):
    def upcoming_for(self, user, until):
        """
        The reminders armed for `user` (those they would be mailed) up to
        `until`, soonest first, each with its todo: of todos they still see.
        """
        from todos.models import Todo

        return (
            self.filter(recipient_id=user.pk, fires_at__lte=until)
            .filter(todo__in=Todo.objects.for_user(user).values("pk"))
            .select_related("todo")
            .order_by("fires_at", "todo_id", "position")
        )


class Reminder(models.Model):
    """
    One of a todo's reminders, armed for its current occurrence: waiting
    for its time (`fires_at`), then taken by a scheduler, which mails it and
    deletes the row (todos.reminder_delivery).
    """

    todo = models.ForeignKey(
        "todos.Todo",
        on_delete=models.CASCADE,
        related_name="armed_reminders",
        db_index=False,  # the unique (todo, position) below leads with it
    )
    position = models.PositiveSmallIntegerField()  # in todo.reminders
    recipient_id = models.BigIntegerField()
    fires_at = models.DateTimeField()
    # When a scheduler may take it: `fires_at`, then, once taken, the end of
    # the taker's lease (a worker that dies leaves it to the next one) or,
    # after a failed delivery, the time of the next attempt.
    next_attempt_at = models.DateTimeField()
    claim = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["todo", "position"], name="reminder_one_per_position"
            )
        ]
        indexes = [
            # The scheduler's tick: what is due, soonest first.
            models.Index(fields=["next_attempt_at"], name="reminder_next_attempt"),
            # GET reminders/upcoming.
            models.Index(
                fields=["recipient_id", "fires_at"], name="reminder_recipient"
            ),
        ]

    def __str__(self):
        return f"reminder {self.position} of todo {self.todo_id} at {self.fires_at}"


def rearm(todo, now=None):
    """
    Make `todo`'s armed reminders those of its current state: a reminder
    still armed at the same instant stays as it is (a delivery under way
    goes on, none is sent twice); one whose instant changed is armed anew,
    unless that instant is past (a reminder set for a time gone never
    fires); the rest are disarmed.
    """
    now = now or timezone.now()
    wanted = firings(todo)
    armed = {row.position: row for row in Reminder.objects.filter(todo=todo)}
    if not wanted and not armed:
        return
    recipient = current_recipient(todo)
    kept = {
        position
        for position, row in armed.items()
        if wanted.get(position) == row.fires_at
    }
    stale = [row.pk for position, row in armed.items() if position not in kept]
    if stale:
        Reminder.objects.filter(pk__in=stale).delete()
    redirected = [
        row.pk
        for position, row in armed.items()
        if position in kept and row.recipient_id != recipient
    ]
    if redirected:
        Reminder.objects.filter(pk__in=redirected).update(recipient_id=recipient)
    fresh = [(todo, n, at) for n, at in wanted.items() if n not in kept]
    arm(fresh, now, recipient)


def arm_new(todos, now=None):
    """Arm the reminders of new todos (none armed yet): one INSERT for all."""
    now = now or timezone.now()
    arm(
        [
            (todo, position, at)
            for todo in todos
            for position, at in firings(todo).items()
        ],
        now,
    )


def arm(firing, now, recipient=None):
    """Armed rows for (todo, position, instant)s still ahead of `now`."""
    Reminder.objects.bulk_create(
        [
            Reminder(
                todo_id=todo.pk,
                position=position,
                recipient_id=recipient or recipient_of(todo),
                fires_at=at,
                next_attempt_at=at,
            )
            for todo, position, at in firing
            if at > now
        ]
    )
