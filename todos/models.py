"""A user's todos, and the queries over them (writes keep todos.ledger)."""

import builtins
import datetime as dt
import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from api.compiled import Plan, Slices
from api.rows import ReadWithoutInit
from api.writes import WritesCompiledOnce
from todos import access, due, ledger
from todos.indexes import NullsLastIndex
from todos.json_list import JsonListField
from todos.ledger import TodoTag
from todos.lists import Invitation, Membership, TodoList  # noqa: F401 (models)
from todos.ordering import PositionField
from todos.priority import Priority
from todos.reminders import (
    InvalidReminders,
    Reminder,  # noqa: F401 (a model)
    needing_a_time,
)
from todos.reminders import normalise as normalise_reminders
from todos.stats import stats_body
from todos.tags import normalise_tags

SKIPS_THE_LEDGER = (
    "Todos change through save() (todos.ledger keeps their change numbers, "
    "tag index and stats summary); {} would skip it."
)


def overdue_condition(today, now=None):
    """
    Not completed and past due: a timed todo once its instant is past, an
    all-day one once its date is before `today` (the user's).
    """
    past = Q(due_at__lt=now or timezone.now())
    return Q(completed=False) & (Q(due_at=None, due_date__lt=today) | past)


def due_on_condition(today, zone):
    """
    Not completed and due on `today` (a date of the user's): all-day on that
    date, or timed within that day in the user's time zone `zone`.
    """
    start, end = due.day_bounds(today, zone)
    timed = Q(due_at__gte=start, due_at__lt=end)
    return Q(completed=False) & (Q(due_at=None, due_date=today) | timed)


class Completion(models.Model):
    """
    One completion of a todo: the history and productivity stats read
    these. A recurring todo's says which occurrence was done.
    """

    todo = models.ForeignKey(
        "todos.Todo", on_delete=models.CASCADE, related_name="completions"
    )
    list_id = models.BigIntegerField()  # where it was when done
    title = models.CharField(max_length=500)
    completed_at = models.DateTimeField()
    due_date = models.DateField(null=True)
    due_time = models.TimeField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["todo", "completed_at"], name="completion_todo_time"),
        ]

    def __str__(self):
        return f"{self.title} done {self.completed_at:%Y-%m-%d %H:%M}"


class TodoQuerySet(models.QuerySet):
    def for_user(self, user):
        """The todos `user` sees (todos.access): in the lists they are a member of."""
        return access.seen_by(self, user)

    def bulk_create(self, objs, batch_size=None, **kwargs):
        """Insert many todos in a few queries, through the ledger."""
        if kwargs:
            raise TypeError(f"Todo bulk_create() takes no {', '.join(kwargs)}.")
        return ledger.create_todos(list(objs), batch_size=batch_size)

    bulk_create.alters_data = True

    def own_newest_first(self, user, count):
        """
        The todos of `user`, who sees only their own (not sharing), newest
        first, for a paginator: for_user(user) in its default order, with
        count() answering `count` without a query (the paginator's COUNT(*)
        reads every index entry of the user's, ~10 ms at 100,000 todos, while
        their SyncState, loaded with their session, has the exact total), and
        each page one query compiled once (api.compiled).
        """
        return Slices(_own_newest_first(self.db), [user.pk], count)

    def seen_unarchived(self, user):
        """
        for_user(user) without the todos of archived lists, in its default
        order, for a paginator: the count and each page a query compiled
        once (api.compiled). The ORM spent ~3,000 Python calls building and
        compiling them for a member of shared lists, a third of the
        request's (`python -m bench.calls --only list_shared`).
        """
        shares = access.shares(user)
        return Slices(
            _seen_unarchived(self.db, shares),
            [user.pk],
            counting=_seen_unarchived_count(self.db, shares),
        )

    def own_changed(self, user, after, upto, limit):
        """
        The first `limit` todos of `user` (who sees only their own) changed
        after their change number `after` up to `upto`, in the order of their
        numbers: the change feed's todos, a query compiled once.
        """
        return _own_changed(self.db).fetch(user.pk, after, upto, high=limit)

    def seen_one(self, user, pk):
        """The todo `pk` if `user` sees it, else None; a query compiled once."""
        found = _seen_one(self.db, access.shares(user)).fetch(user.pk, pk)
        return found[0] if found else None

    def delete(self):
        # Through the ledger, however the todos are deleted (the admin's bulk
        # action comes through here): tombstones, counts and summary follow.
        return ledger.delete_todos(self)

    delete.alters_data = True

    # Writes straight to the table would skip the ledger: refused.

    def update(self, **kwargs):
        raise TypeError(SKIPS_THE_LEDGER.format("update()"))

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        raise TypeError(SKIPS_THE_LEDGER.format("bulk_update()"))

    bulk_update.alters_data = True

    def overdue(self, today):
        return self.filter(overdue_condition(today))

    def not_overdue(self, today):
        return self.exclude(overdue_condition(today))

    def tagged_with_all(self, tags):
        """Todos carrying every one of `tags` (each an EXISTS on the tag index)."""
        for tag in tags:
            self = self.filter(
                Exists(
                    TodoTag.objects.filter(
                        owner=OuterRef("owner"), todo=OuterRef("pk"), name=tag
                    )
                )
            )
        return self

    def search(self, text):
        return self.filter(Q(title__icontains=text) | Q(description__icontains=text))

    def stats(self, today, zone=dt.UTC):
        """
        Counts over this queryset, in the API's shape: one aggregate query for
        the totals and priorities, one grouped query for the tags. (A user's
        unfiltered stats come from the maintained summary instead: see
        todos.summary.)
        """
        done = Q(completed=True)
        # Aliases must not shadow field names used inside the filters.
        aggregates = {
            "n_total": Count("pk"),
            "n_completed": Count("pk", filter=done),
            "n_overdue": Count("pk", filter=overdue_condition(today)),
            "n_due_today": Count("pk", filter=due_on_condition(today, zone)),
        }
        for priority in Todo.Priority:
            only = Q(priority=priority)
            aggregates[f"n_{priority.label}"] = Count("pk", filter=only)
            aggregates[f"n_{priority.label}_completed"] = Count(
                "pk", filter=only & done
            )
        counts = self.order_by().aggregate(**aggregates)
        return stats_body(
            total=counts["n_total"],
            completed=counts["n_completed"],
            overdue=counts["n_overdue"],
            due_today=counts["n_due_today"],
            by_priority={
                priority.label: {
                    "total": counts[f"n_{priority.label}"],
                    "completed": counts[f"n_{priority.label}_completed"],
                }
                for priority in Todo.Priority
            },
            by_tag=self.tag_counts(),
        )

    def tag_counts(self):
        """`{tag: {"total", "completed"}}` over every tag these todos carry."""
        rows = (
            TodoTag.objects.filter(todo__in=self.order_by().values("pk"))
            .values("name")
            .annotate(
                total=Count("pk"), completed=Count("pk", filter=Q(todo__completed=True))
            )
        )
        return {
            row["name"]: {"total": row["total"], "completed": row["completed"]}
            for row in rows
        }


class Todo(ReadWithoutInit, WritesCompiledOnce, models.Model):
    Priority = Priority

    # No index of its own: every index below starts with the owner.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="todos",
        db_index=False,
    )
    # Every todo is in a list of its owner's (todos.lists); the owner's
    # Inbox unless said otherwise.
    list = models.ForeignKey(
        "todos.TodoList",
        # Deleting a list deletes its todos through the ledger first
        # (tombstones, counts); a database cascade would skip it.
        on_delete=models.RESTRICT,
        related_name="todos",
        db_index=False,
        blank=True,  # the owner's Inbox (todos.ledger)
    )
    # A subtask's parent, in the same list. Deleting a todo deletes its
    # subtasks, through the ledger (todos.ledger); the foreign key still
    # holds at commit.
    parent = models.ForeignKey(
        "self",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="subtasks",
        db_index=False,
    )
    # Its place among its siblings (same list and parent): todos.ordering.
    position = PositionField(default="")
    # Users by id, not foreign keys: a deleted account's id stays and
    # renders as null, where a cascade or SET NULL would rewrite todos
    # behind the ledger's back; and a plain column costs nothing to load
    # (a foreign key's id is a descriptor, a call per row read or written).
    assignee_id = models.BigIntegerField(null=True, blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True, editable=False)
    title = models.CharField(max_length=500)
    # NULL and "" differ in the API: "no description" vs an empty one.
    description = models.CharField(  # noqa: DJ001
        max_length=2000, null=True, blank=True
    )
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.MEDIUM
    )
    due_date = models.DateField(null=True, blank=True)
    # A timed todo's wall-clock time on its due date (none: all day), in
    # `due_timezone` (none: floating, in its owner's zone); `due_at`, the
    # instant, is kept by the ledger (todos.due).
    due_time = models.TimeField(null=True, blank=True)
    due_timezone = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True
    )
    due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A recurring todo's RFC 5545 rule (todos.recurrence), from its first
    # occurrence (`recurrence_start`, local: the due when the rule was set);
    # completing it moves its due to the next occurrence ("due": on the
    # schedule; "completion": from when it was done).
    recurrence = models.CharField(  # noqa: DJ001
        max_length=300, null=True, blank=True
    )
    recurrence_basis = models.CharField(
        max_length=10,
        choices=[("due", "due"), ("completion", "completion")],
        default="due",
    )
    recurrence_start = models.CharField(  # noqa: DJ001
        max_length=19, null=True, blank=True, editable=False
    )
    last_completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Up to five, as given (todos.reminders); their armed firings are
    # Reminder rows, kept by the ledger.
    reminders = JsonListField(default=builtins.list, blank=True)
    # The tags in the order given; TodoTag rows index them for filters and
    # stats on every database (SQLite has no indexable JSON containment).
    tags = JsonListField(default=builtins.list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The owner's change number (SyncState) of this todo's latest change:
    # its version for ETags and its place in the change feed.
    seq = models.BigIntegerField(default=0, editable=False)

    objects = TodoQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # Chosen with EXPLAIN ANALYZE on the benchmark's million todos (see
        # README, Performance); todos/tests/test_indexes.py pins their use.
        indexes = [
            # A user's list in its default order, its count, and the filters
            # that keep most rows (completed, priority, overdue).
            models.Index(
                "owner",
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="todo_owner_created",
            ),
            # Due ranges, and ordering by due date either way (NULLs last).
            models.Index(fields=["owner", "due_date"], name="todo_owner_due"),
            # Timed todos by instant: overdue and due today (todos.summary).
            models.Index(
                fields=["owner", "due_at"],
                condition=Q(due_at__isnull=False),
                name="todo_owner_due_at",
            ),
            NullsLastIndex(
                "owner",
                models.F("due_date").desc(nulls_last=True),
                name="todo_owner_due_desc",
            ),
            # Highest priority first.
            models.Index(
                "owner",
                models.F("priority").desc(),
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="todo_owner_priority",
            ),
            # The change feed.
            models.Index(fields=["owner", "seq"], name="todo_owner_seq"),
            # The change feed of one list of someone else's (todos.feed).
            models.Index(fields=["list", "seq"], name="todo_list_seq"),
            # One list's todos (list=), newest first.
            models.Index(
                "list",
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="todo_list_created",
            ),
            # Manual order among siblings (ordering=position, and a move's
            # neighbours): the top level of a list, and a todo's subtasks
            # (parent=). Two indexes because `parent_id IS NULL` is no
            # equality to the planner: one on (list, parent, position) could
            # not give the top level in position order.
            models.Index(
                fields=["list", "position", "id"],
                condition=Q(parent__isnull=True),
                name="todo_top_level",
            ),
            models.Index(fields=["parent", "position", "id"], name="todo_parent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__in=[1, 2, 3]), name="todo_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(completed=True) | Q(completed_at__isnull=True),
                name="todo_completed_at_only_when_completed",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, **kwargs):
        """Save through the ledger, as a write of its own."""
        with ledger.writing(self.owner_id, growth=int(self._state.adding)) as book:
            book.save(self, **kwargs)

    def delete(self, **kwargs):
        """Delete through the ledger, leaving a tombstone for the change feed."""
        if kwargs:
            raise TypeError(f"Todo delete() takes no {', '.join(kwargs)}.")
        with ledger.writing(self.owner_id, growth=-1) as book:
            return book.delete(self)

    delete.alters_data = True

    def normalise(self):
        self.title = self.title.strip()
        self.tags = normalise_tags(self.tags)
        if not self.completed:
            self.completed_at = None
        elif self.completed_at is None:
            self.completed_at = timezone.now()

    def clean(self):
        super().clean()
        self.title = self.title.strip()
        if not self.title:
            raise ValidationError({"title": "This field may not be blank."})
        try:
            self.tags = normalise_tags(self.tags)
        except ValidationError as exc:
            raise ValidationError({"tags": exc.messages}) from None
        # The API checks places (todos.placement); forms such as the admin's
        # come through here. A todo's owner is its list's.
        if self.list_id is not None and self.list.owner_id != self.owner_id:
            raise ValidationError({"list": "Must be a list of the todo's owner."})
        if self.parent_id is not None and self.parent.list_id != self.list_id:
            raise ValidationError({"parent": "Must be a todo in the same list."})
        if self.due_time is not None and self.due_date is None:
            raise ValidationError({"due_time": "A due time needs a due date."})
        if self.due_timezone and self.due_timezone not in due.zone_names():
            raise ValidationError({"due_timezone": "Not an IANA time zone name."})
        try:
            self.reminders = normalise_reminders(self.reminders)
        except InvalidReminders as exc:
            raise ValidationError({"reminders": exc.messages()}) from None
        if self.due_time is None and needing_a_time(self.reminders):
            raise ValidationError(
                {"reminders": "A reminder before the due needs a due time."}
            )

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        ledger.remember(instance)
        return instance


# The plans of the reads every request makes (api.compiled), per database
# and shape; todos/tests/test_compiled_reads.py holds them to the ORM.


@functools.cache
def _own_newest_first(alias):
    return Plan(Todo.objects.using(alias).filter(owner_id=Plan.arg(0)))


def _unarchived(alias, shares):
    seen = access.seen_by_id(Todo.objects.using(alias), Plan.arg(0), shares)
    return seen.filter(list__archived=False)


@functools.cache
def _seen_unarchived(alias, shares):
    return Plan(_unarchived(alias, shares))


@functools.cache
def _seen_unarchived_count(alias, shares):
    return Plan(_unarchived(alias, shares).order_by().values_list("pk"))


@functools.cache
def _own_changed(alias):
    return Plan(
        Todo.objects.using(alias)
        .filter(owner_id=Plan.arg(0), seq__gt=Plan.arg(1), seq__lte=Plan.arg(2))
        .order_by("seq")
    )


@functools.cache
def _seen_one(alias, shares):
    seen = access.seen_by_id(Todo.objects.using(alias), Plan.arg(0), shares)
    return Plan(seen.filter(pk=Plan.arg(1)).order_by())
