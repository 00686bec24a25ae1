"""
The write ledger: the bookkeeping every write to a user's todos must keep,
and the only code that writes it.

Each write, in its own transaction and under the owner's write lock:
- carries the owner's next change number (the todo's `seq`, or a deletion's
  tombstone), so the change feed and ETags see every change in order;
- keeps the owner's todo count (SyncState.todos: an unfiltered list's
  `count`, with no COUNT(*) over all of a user's todos);
- re-indexes the todo's tags (TodoTag, behind `tag=` and per-tag stats);
- applies its difference to the stats summary (TodoStat; todos.summary).

`writing(user_id)` opens a Book: the transaction and the lock, with change
numbers reserved. Its save(), create(), delete() and delete_rows() do the
rest, and closing it settles the count and the summary, so a caller cannot
forget a step; its `changes` and `growth` hints only save a query when right.
Todo.save(), Todo.delete() and the QuerySet's bulk_create() and delete() all
open one, so no way of writing a todo skips the ledger.
"""

import operator
from collections import Counter, defaultdict
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, models, router, transaction
from django.db.models.deletion import Collector
from django.db.models.functions import Coalesce
from django.utils import timezone

from api.rows import ReadWithoutInit
from todos import due, ordering, recurrence, reminders
from todos.priority import LABELS
from todos.tags import MAX_TAG_LENGTH

# The fields the stats summary counts (per list).
COUNTED_FIELDS = ("list_id", "priority", "completed", "due_date", "due_time", "tags")
_COUNTED = frozenset(COUNTED_FIELDS)
_counted_fields = operator.itemgetter(*COUNTED_FIELDS)
MAX_ROWS_PER_STATEMENT = 500


class SyncStateManager(models.Manager):
    def advance(self, user_id, by=1, grow=0):
        """
        Take the next `by` change numbers of a user, and count `grow` more
        (or fewer) todos of theirs; returns the last number taken.

        The upsert locks the user's row until the transaction ends, so one
        user's writes commit one after another, in the order of their numbers:
        a reader never sees a number before every smaller one is committed.
        `by=0` takes only the lock.
        """
        table = connection.ops.quote_name(self.model._meta.db_table)
        sql = f"""
            INSERT INTO {table} (user_id, seq, floor, todos) VALUES (%s, %s, 0, %s)
            ON CONFLICT (user_id) DO UPDATE SET
                seq = {table}.seq + excluded.seq,
                todos = {table}.todos + excluded.todos
            RETURNING seq
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id, by, grow])
            return cursor.fetchone()[0]

    def count_archived(self, user_id):
        """Recount the user's archived lists (SyncState.archived)."""
        from todos.lists import TodoList

        archived = TodoList.objects.filter(owner_id=user_id, archived=True)
        counted = archived.order_by().values("owner_id").annotate(n=models.Count("pk"))
        self.filter(user_id=user_id).update(
            archived=Coalesce(models.Subquery(counted.values("n")), 0)
        )

    def of(self, user):
        """
        The user's state (unsaved and at zero if they never wrote). The
        session that authenticated the request brought it along (see
        accounts.sessions): a committed state as of the request's start, at
        no extra query.
        """
        try:
            return user.syncstate
        except SyncState.DoesNotExist:
            return self.model(user=user)


class SyncState(ReadWithoutInit, models.Model):
    """
    Per user: the number of the latest change to their todos (`seq`); the
    newest change number whose tombstone has been pruned (`floor`): a change
    feed cursor below it may have missed deletions; and how many todos they
    have (`todos`). Kept by the Book of every write.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True
    )
    seq = models.BigIntegerField(default=0)
    floor = models.BigIntegerField(default=0)
    todos = models.BigIntegerField(default=0)
    # The user's default list, made with the account (todos.lists).
    inbox = models.ForeignKey(
        "todos.TodoList", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # How many of their own lists are archived, and how many lists of others
    # they are a member of: while both are 0, their todos are exactly their
    # own, unarchived ones, and a list or stats request needs no look-up of
    # lists (they come with the session, as this row does).
    archived = models.IntegerField(default=0, db_default=0)
    shared = models.IntegerField(default=0, db_default=0)

    objects = SyncStateManager()

    def __str__(self):
        return f"user {self.user_id} at change {self.seq}"


class TodoTag(models.Model):
    """
    One row per tag of a todo: the index behind the `tag=` filter and the
    per-tag stats. `owner` repeats the todo's owner so one user's tags are
    one index range.
    """

    # Indexed by the constraints below (todo, name) and (owner, name, todo).
    todo = models.ForeignKey(
        "todos.Todo",
        on_delete=models.CASCADE,
        related_name="tag_index",
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    name = models.CharField(max_length=MAX_TAG_LENGTH)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["todo", "name"], name="todotag_unique_per_todo"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "name", "todo"], name="todotag_owner_name")
        ]

    def __str__(self):
        return self.name


class TombstoneQuerySet(models.QuerySet):
    def prune(self, older_than):
        """
        Delete tombstones older than `older_than`, raising each owner's feed
        floor past them (a cursor below the floor may have missed a deletion).
        Returns how many were deleted.
        """
        with transaction.atomic():
            old = self.filter(deleted_at__lt=older_than)
            for row in old.values("owner").annotate(newest=models.Max("seq")):
                SyncState.objects.filter(
                    user_id=row["owner"], floor__lt=row["newest"]
                ).update(floor=row["newest"])
            deleted, _ = old.delete()
        return deleted


class Tombstone(models.Model):
    """A deleted todo, kept for the change feed until TOMBSTONE_TTL passes."""

    # No constraint: the deletions of a deleted account's shared lists stay
    # for their members' feeds until prune takes them (todos.sharing).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # A deleted todo, or a todo that left `list_id` for another list; or,
    # with kind "list", a deleted list (`todo_id` is then the list's id).
    kind = models.CharField(max_length=4, default="todo")
    todo_id = models.BigIntegerField()
    list_id = models.BigIntegerField(null=True)
    # The list a todo moved to: who sees that list sees the todo go there (a
    # change of it), not a deletion (todos.feed).
    moved_to = models.BigIntegerField(null=True)
    seq = models.BigIntegerField()
    deleted_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TombstoneQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["owner", "seq"], name="tombstone_owner_seq")]

    def __str__(self):
        return f"todo {self.todo_id} deleted (change {self.seq})"


class TodoStat(models.Model):
    """
    One count of the stats summary kept per user (see todos.summary): how
    many of the owner's todos, completed or not, have this priority, due
    date (all-day ones) or tag (`dimension` "priority", "due" or "tag", and
    its `value`), or are timed ("timed", "").
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    # Counts per list: a member sees some of an owner's lists, and archived
    # ones count for nothing. No foreign key: a deleted list's counts go to
    # zero with its todos, and prune removes them.
    list = models.ForeignKey(
        "todos.TodoList",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    dimension = models.CharField(max_length=8)
    value = models.CharField(max_length=MAX_TAG_LENGTH)
    completed = models.BooleanField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "list", "dimension", "value", "completed"],
                name="todostat_unique_list_count",
            )
        ]

    def __str__(self):
        return f"{self.dimension}={self.value} completed={self.completed}: {self.n}"


# --- what a todo counts for --------------------------------------------------


def counts_of(todo):
    """
    What `todo` (or a row with its counted fields) counts for in the summary:
    a Counter of (list, dimension, value, completed). A todo counts once
    under ("priority", its priority), once under ("due", its date) if it is
    due all day or ("timed", "") if at a time, and once under ("tag", name)
    per tag, in its list.
    """
    completed = bool(todo.completed)
    in_list = todo.list_id
    keys = [(in_list, "priority", LABELS[todo.priority], completed)]
    if todo.due_date is not None and todo.due_time is None:
        keys.append((in_list, "due", iso_day(todo.due_date), completed))
    elif todo.due_date is not None:
        # Timed: overdue and due today depend on the instant and the hour,
        # read from the todos themselves (todos.summary); this says how many.
        keys.append((in_list, "timed", "", completed))
    keys += [(in_list, "tag", tag, completed) for tag in todo.tags]
    return Counter(keys)


def iso_day(day):
    return day if isinstance(day, str) else day.isoformat()


def remember(todo):
    """
    Note what the tables hold for `todo` as loaded or just written (its owner,
    indexed tags and counts), so that the next write applies only the
    difference. Todo.from_db() calls it for every todo read.
    """
    fields = todo.__dict__
    todo._stored_owner_id = fields.get("owner_id")
    todo._stored_list_id = fields.get("list_id")
    todo._stored_completed = fields.get("completed")
    todo._indexed_tags = list(fields["tags"]) if "tags" in fields else None
    todo._stored_reminded = bool(fields.get("reminders", True))
    # Runs for every todo read (a feed page reads 100), and most are only
    # rendered: the counted fields as they are (one C call), their counts
    # worked out only if the todo is written (counts_of() for each todo of a
    # list page was 5% of its CPU).
    todo._counted = None
    todo._counted_as = _counted_fields(fields) if _COUNTED <= fields.keys() else None


def _stored_counts(todo):
    """What the summary counts for `todo` as stored (nothing if it is new)."""
    if todo._state.adding:
        return Counter()
    if getattr(todo, "_counted", None) is None:
        stored = getattr(todo, "_counted_as", None)
        if stored is None:  # loaded without those fields
            row = type(todo)._base_manager.values(*COUNTED_FIELDS).get(pk=todo.pk)
        else:
            # Tags as indexed: the tuple shares the list the todo may change.
            row = dict(zip(COUNTED_FIELDS, stored, strict=True))
            row["tags"] = todo._indexed_tags
        todo._counted = counts_of(_Row(row))
    return todo._counted


def _record(counts):
    """
    Apply summary deltas: {owner_id: {(list, dimension, value, completed):
    delta}}.
    """
    rows = [
        (owner_id, *key, delta)
        for owner_id, deltas in counts.items()
        for key, delta in deltas.items()
        if delta
    ]
    _insert_rows(
        TodoStat,
        ("owner_id", "list_id", "dimension", "value", "completed", "n"),
        rows,
        "ON CONFLICT (owner_id, list_id, dimension, value, completed) "
        "DO UPDATE SET n = {table}.n + excluded.n",
    )


def _insert_tags(todos):
    """
    The tag index rows of new tags: {todo: tags}. Hand-written, as _record()
    is: TodoTag.objects.bulk_create() took ~400 Python calls for one tag,
    8% of a todo's create (`python -m bench.calls --only create`).
    """
    _insert_rows(
        TodoTag,
        ("todo_id", "owner_id", "name"),
        [(todo.pk, todo.owner_id, tag) for todo, tags in todos.items() for tag in tags],
    )


def _insert_rows(model, columns, rows, suffix=""):
    """INSERT `rows` into `model`'s table, MAX_ROWS_PER_STATEMENT at a time."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    head = f"INSERT INTO {table} ({', '.join(map(quote, columns))}) VALUES "
    row = f"({', '.join(['%s'] * len(columns))})"
    for start in range(0, len(rows), MAX_ROWS_PER_STATEMENT):
        batch = rows[start : start + MAX_ROWS_PER_STATEMENT]
        sql = f"{head}{', '.join([row] * len(batch))} {suffix.format(table=table)}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [field for row in batch for field in row])


# --- the book of one user's writes -------------------------------------------


@contextmanager
def writing(user_id, changes=1, growth=0, also=()):
    """
    One transaction of writes to `user_id`'s todos (and to those of the
    owners `also`), holding their write locks from the start: concurrent
    writes apply one after another, none is lost, and reads made inside see
    no other write half-done. The locks are taken in the order of the
    owners' ids, so two writes that lock the same owners cannot deadlock.

    `changes` numbers are reserved and `growth` todos counted up front for
    `user_id`, in the statement that takes the lock; more are taken, and the
    count corrected, as the writes turn out (a hint costs a query only when
    wrong).
    """
    with transaction.atomic():
        book = Book(user_id, changes, growth, also)
        yield book
        book.close()


class _Account:
    """One owner's side of a Book: their reserved numbers, growth and counts."""

    def __init__(self, owner_id, changes, growth):
        self.owner_id = owner_id
        last = SyncState.objects.advance(owner_id, by=changes, grow=growth)
        self.numbers = iter(range(last - changes + 1, last + 1))
        self.counted_growth = growth
        self.growth = 0
        self.counts = Counter()
        self.lists_changed = False

    def next_number(self):
        number = next(self.numbers, None)
        if number is None:  # more writes than reserved
            number = SyncState.objects.advance(self.owner_id)
        return number

    def settle(self):
        if self.growth != self.counted_growth:
            grow = self.growth - self.counted_growth
            SyncState.objects.advance(self.owner_id, by=0, grow=grow)
            self.counted_growth = self.growth
        counts, self.counts = self.counts, Counter()
        if self.lists_changed:
            SyncState.objects.count_archived(self.owner_id)
            self.lists_changed = False
        return counts


class Book:
    """
    The writes of one transaction to the todos of one owner (`user_id`),
    or of a few (see writing()): a todo is written in its owner's account.
    """

    def __init__(self, user_id, changes=1, growth=0, also=()):
        self.user_id = user_id
        self._accounts = {}
        for owner_id in sorted({user_id, *also}):
            first = owner_id == user_id
            self._open(owner_id, changes if first else 0, growth if first else 0)
        self._inbox_id = None
        self._zones = {}

    def knows(self, user):
        """Note `user`'s time zone (their floating todos'), saving a query."""
        self._zones[user.pk] = user.timezone

    def _completion(self, todo, adding):
        """
        What completing (or reopening) `todo` in this write records: a
        Completion to save with it, and the fields it changed. A recurring
        todo completed moves on to its next occurrence and stays open, or,
        its rule exhausted, stays done (todos.recurrence).
        """
        from todos.models import Completion

        was_done = False if adding else getattr(todo, "_stored_completed", None)
        if was_done is None or bool(was_done) == bool(todo.completed):
            return None, set(), False
        if not todo.completed:
            return None, set(), True
        now = todo.completed_at or timezone.now()
        completion = Completion(
            list_id=todo.list_id,
            title=todo.title,
            completed_at=now,
            due_date=todo.due_date,
            due_time=todo.due_time,
        )
        todo.last_completed_at = now
        changed = {"last_completed_at"}
        if todo.recurrence and todo.due_date is not None:
            upcoming = recurrence.next_occurrence(todo, now, self._zone_of(todo))
            if upcoming is not None:
                todo.due_date = upcoming.date()
                todo.due_time = upcoming.time() if todo.due_time else None
                todo.completed, todo.completed_at = False, None
                changed |= {"due_date", "due_time", "completed", "completed_at"}
        return completion, changed, False

    def skip(self, todo):
        """
        Move a recurring `todo` to its next occurrence, recording nothing;
        None (and nothing written) if it has none.
        """
        upcoming = None
        if todo.recurrence and todo.due_date is not None:
            upcoming = recurrence.next_occurrence(
                todo, timezone.now(), self._zone_of(todo)
            )
        if upcoming is None:
            return None
        todo.due_date = upcoming.date()
        todo.due_time = upcoming.time() if todo.due_time else None
        return self.save(todo, update_fields=["due_date", "due_time"])

    def _zone_of(self, todo):
        """The zone of `todo`'s wall times: its own, or its owner's."""
        if todo.due_timezone is not None:
            return todo.due_timezone
        if todo.owner_id not in self._zones:
            from django.contrib.auth import get_user_model

            owners = get_user_model().objects.filter(pk=todo.owner_id)
            self._zones[todo.owner_id] = owners.values_list("timezone", flat=True).get()
        return self._zones[todo.owner_id]

    def _due_at(self, todo):
        if todo.due_date is None or todo.due_time is None:
            return None
        return due.instant(todo.due_date, todo.due_time, self._zone_of(todo))

    def _open(self, owner_id, changes=0, growth=0):
        self._accounts[owner_id] = _Account(owner_id, changes, growth)

    def account(self, owner_id):
        """
        The account of `owner_id`, locking it now if the book did not at
        its start (a write that learns of a second owner only as it goes;
        writing()'s `also` names them up front, in lock order).
        """
        if owner_id not in self._accounts:
            self._open(owner_id)
        return self._accounts[owner_id]

    @property
    def owners(self):
        return set(self._accounts)

    def save(self, todo, **kwargs):
        """
        Insert or update `todo` (normalised) under a new change number of
        its owner; one without a position (new, or moved) goes last among
        its siblings (ordering.at_end). A todo whose owner changed (it moved
        to a list of another owner's) leaves the old owner's books for the
        new one's: a deletion in the old one's feed, a new todo in the new.
        """
        todo.normalise()
        adding = todo._state.adding
        if adding:
            self._place_new(todo)
        completion, rolled, undone = self._completion(todo, adding)
        due_before, todo.due_at = todo.due_at, self._due_at(todo)
        stored_owner = None if adding else getattr(todo, "_stored_owner_id", None)
        if stored_owner is None:
            stored_owner = todo.owner_id
        account, before = self.account(todo.owner_id), self.account(stored_owner)
        if before is not account:
            _require_list_of(todo)
        counted = _stored_counts(todo)
        left = None if adding else getattr(todo, "_stored_list_id", None)
        if left is not None and left != todo.list_id:
            # Who sees the list it left, and not the one it joined, sees it go.
            self._bury(before, [(todo.pk, left)], moved_to=todo.list_id)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "seq", "updated_at"}
            if todo.due_at != due_before:
                kwargs["update_fields"].add("due_at")
            kwargs["update_fields"] |= rolled
            if before is not account:
                kwargs["update_fields"].add("owner")
        todo.seq = account.next_number()
        if not todo.position:
            todo.position = ordering.at_end(todo.seq)
        models.Model.save(todo, **kwargs)
        if completion is not None:
            completion.todo = todo
            completion.save()
        elif undone:  # a plain todo reopened: its completion is undone
            latest = todo.completions.order_by("-completed_at", "-pk").first()
            if latest is not None:
                latest.delete()
        if before is not account:
            TodoTag.objects.filter(todo=todo).update(owner_id=todo.owner_id)
            before.growth -= 1
            account.growth += 1
        if _rearms(todo, adding, kwargs.get("update_fields")):
            reminders.rearm(todo)
        self._index_tags(todo)
        account.counts.update(counts_of(todo))
        before.counts.subtract(counted)
        account.growth += adding
        remember(todo)
        return todo

    def create(self, todos, batch_size=None):
        """Insert many new todos in a few statements."""
        for todo in todos:
            todo.normalise()
            todo.due_at = self._due_at(todo)
            self._place_new(todo)
            todo.seq = self.account(todo.owner_id).next_number()
            if not todo.position:
                todo.position = ordering.at_end(todo.seq)
        # The base manager: the plain QuerySet, whose bulk_create() is the
        # insert itself (Todo's own comes back here).
        type(todos[0])._base_manager.bulk_create(todos, batch_size=batch_size)
        _insert_tags({todo: todo.tags for todo in todos})
        reminders.arm_new([todo for todo in todos if todo.reminders])
        for todo in todos:
            account = self.account(todo.owner_id)
            account.counts.update(counts_of(todo))
            account.growth += 1
            remember(todo)
        return todos

    def delete(self, todo):
        """Delete `todo` and its subtasks, leaving tombstones for the feed."""
        account = self.account(todo.owner_id)
        model = type(todo)
        subtasks = self._descendants(model, [todo.pk])
        self._bury(account, [(todo.pk, todo.list_id), *_graves(subtasks)])
        account.counts.subtract(_stored_counts(todo))
        for row in subtasks:
            account.counts.subtract(counts_of(_Row(row)))
        account.growth -= 1 + len(subtasks)
        return _delete(model, [todo.pk, *(row["pk"] for row in subtasks)])

    def delete_rows(self, model, rows, owner_id=None):
        """
        Delete todos of one owner (`owner_id`, by default the book's), given
        as rows of pk and counted fields, and their subtasks.
        """
        account = self.account(self.user_id if owner_id is None else owner_id)
        rows = [*rows, *self._descendants(model, [row["pk"] for row in rows])]
        self._bury(account, _graves(rows))
        for row in rows:
            account.counts.subtract(counts_of(_Row(row)))
        account.growth -= len(rows)
        return _delete(model, [row["pk"] for row in rows])

    # --- lists ---------------------------------------------------------------

    def save_list(self, todo_list, **kwargs):
        """Insert or update a list under a new change number of its owner."""
        account = self.account(todo_list.owner_id)
        todo_list.seq = account.next_number()
        todo_list.save(**kwargs)
        account.lists_changed = True
        return todo_list

    def save_membership(self, membership, owner_id, **kwargs):
        """
        A member's place in a list of `owner_id`'s (their order, their role),
        under a change number of the list's owner: the list's version for
        that member.
        """
        membership.seq = self.account(owner_id).next_number()
        membership.save(**kwargs)
        return membership

    def create_list(self, todo_list):
        """A new list of this user's, last in their order of lists."""
        from todos.lists import Membership, Role

        self.save_list(todo_list)
        Membership.objects.create(
            list=todo_list,
            user_id=todo_list.owner_id,
            role=Role.OWNER,
            position=last_position(todo_list.owner_id),
            seq=todo_list.seq,
        )
        if todo_list.is_default:
            SyncState.objects.filter(user_id=todo_list.owner_id).update(inbox=todo_list)
        return todo_list

    def delete_list(self, todo_list):
        """Delete a list and its todos, each a deletion in the feed."""
        from todos.models import Todo

        account = self.account(todo_list.owner_id)
        rows = Todo._base_manager.filter(list=todo_list).values("pk", *COUNTED_FIELDS)
        self.delete_rows(Todo, list(rows), owner_id=todo_list.owner_id)
        Tombstone.objects.create(
            owner_id=todo_list.owner_id,
            kind="list",
            todo_id=todo_list.pk,
            list_id=todo_list.pk,
            seq=account.next_number(),
        )
        members = list(todo_list.memberships.values_list("user_id", flat=True))
        todo_list.delete()
        account.lists_changed = True
        count_shared(members)

    def close(self):
        """Settle the counts and the summary (nothing if the writes roll back)."""
        if transaction.get_rollback():
            return
        _record({owner: account.settle() for owner, account in self._accounts.items()})

    def _place_new(self, todo):
        """A new todo is in its owner's Inbox, made by its owner, unless said."""
        if todo.list_id is None:
            if self._inbox_id is None:
                self._inbox_id = (
                    SyncState.objects.filter(user_id=todo.owner_id)
                    .values_list("inbox_id", flat=True)
                    .get()
                )
            todo.list_id = self._inbox_id
        if todo.created_by_id is None:
            todo.created_by_id = todo.owner_id

    def _bury(self, account, graves, moved_to=None):
        """
        Tombstones for (todo id, list id) pairs of `account`'s owner: todos
        deleted, or (`moved_to`) gone to another list.
        """
        Tombstone.objects.bulk_create(
            [
                Tombstone(
                    owner_id=account.owner_id,
                    todo_id=pk,
                    list_id=list_id,
                    moved_to=moved_to,
                    seq=account.next_number(),
                )
                for pk, list_id in graves
            ]
        )

    @staticmethod
    def _descendants(model, ids):
        """Rows (pk and counted fields) of every subtask below todos `ids`."""
        found, seen, frontier = [], set(ids), list(ids)
        while frontier:  # one query per level (at most MAX_DEPTH)
            level = [
                row
                for row in model._base_manager.filter(parent_id__in=frontier).values(
                    "pk", *COUNTED_FIELDS
                )
                if row["pk"] not in seen
            ]
            seen.update(row["pk"] for row in level)
            found += level
            frontier = [row["pk"] for row in level]
        return found

    @staticmethod
    def _index_tags(todo):
        indexed = getattr(todo, "_indexed_tags", None) or []
        if indexed == todo.tags:
            return
        removed = set(indexed) - set(todo.tags)
        if removed:
            TodoTag.objects.filter(todo=todo, name__in=removed).delete()
        _insert_tags({todo: [tag for tag in todo.tags if tag not in indexed]})


# What a todo's armed reminders follow (todos.reminders): when they fire,
# whether they still do, and whom they go to.
ARMING_FIELDS = frozenset(
    {"due_date", "due_time", "due_timezone", "due_at", "reminders", "completed"}
    | {"assignee_id", "list_id", "list", "owner", "owner_id"}
)


def _rearms(todo, adding, update_fields):
    """Whether writing `todo` re-arms its reminders: only a write that can."""
    if not todo.reminders and (adding or not getattr(todo, "_stored_reminded", True)):
        return False  # none now, none before: nothing armed to change
    return (
        adding or update_fields is None or not ARMING_FIELDS.isdisjoint(update_fields)
    )


def _require_list_of(todo):
    # The tag index, the feed and the summary are all per owner, and a
    # todo's owner is its list's: it changes owner only with its list.
    from todos.lists import TodoList

    if not TodoList.objects.filter(pk=todo.list_id, owner_id=todo.owner_id).exists():
        raise ValueError("A todo's owner is its list's owner.")


def last_position(user_id):
    """A position after all of the user's lists, in their order of lists."""
    from todos.lists import Membership

    last = (
        Membership.objects.filter(user_id=user_id)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return ordering.between(last or None, None)


def count_shared(user_ids):
    """Recount how many lists of others each user is a member of."""
    from todos.lists import Membership

    for user_id in set(user_ids):
        shared = Membership.objects.filter(user_id=user_id).exclude(
            list__owner_id=user_id
        )
        SyncState.objects.filter(user_id=user_id).update(shared=shared.count())


def _delete(model, ids):
    """
    Delete todos `ids` (and their tag rows) as QuerySet.delete() would, but
    from their ids alone: the caller knows them, so no SELECT of the rows.
    """
    collector = Collector(using=router.db_for_write(model))
    collector.collect([model(pk=pk) for pk in ids])
    return collector.delete()


def _graves(rows):
    return [(row["pk"], row["list_id"]) for row in rows]


class _Row:
    """A row of counted fields, read as counts_of() reads a todo."""

    def __init__(self, row):
        self.__dict__.update(row)


# --- accounts -----------------------------------------------------------------


def open_account(user_id):
    """
    A new account's default list (its Inbox), unless it has one: User.save()
    calls it, and what creates users in bulk.
    """
    from todos.lists import DEFAULT_LIST_NAME, TodoList

    with writing(user_id, changes=0) as book:
        inbox = TodoList.objects.filter(owner_id=user_id, is_default=True).first()
        if inbox is not None:
            return inbox
        inbox = TodoList(owner_id=user_id, name=DEFAULT_LIST_NAME, is_default=True)
        return book.create_list(inbox)


# --- many owners at once -----------------------------------------------------


def create_todos(todos, batch_size=None):
    """Insert new todos of any owners: one Book per owner."""
    by_owner = defaultdict(list)
    for todo in todos:
        by_owner[todo.owner_id].append(todo)
    with transaction.atomic():
        for owner_id, owned in by_owner.items():
            with writing(owner_id, changes=len(owned), growth=len(owned)) as book:
                book.create(owned, batch_size=batch_size)
    return todos


def delete_todos(queryset):
    """Delete the todos of a queryset, of any owners: one Book per owner."""
    with transaction.atomic():
        by_owner = defaultdict(list)
        for row in queryset.order_by("pk").values("pk", "owner_id", *COUNTED_FIELDS):
            by_owner[row.pop("owner_id")].append(row)
        deleted, per_model = 0, Counter()
        for owner_id, rows in by_owner.items():
            with writing(owner_id, changes=len(rows), growth=-len(rows)) as book:
                count, counts = book.delete_rows(queryset.model, rows)
            deleted += count
            per_model.update(counts)
        return deleted, dict(per_model)
