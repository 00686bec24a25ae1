import copy
import re
from collections import Counter, defaultdict
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Count, Exists, OrderBy, OuterRef, Q
from django.utils import timezone

from todos import summary

MAX_TAGS = 20
MAX_TAG_LENGTH = 50
# The fields the stats summary counts (todos.summary).
COUNTED_FIELDS = {"priority", "completed", "due_date", "tags"}


# What one tag may contain: no comma (it separates tags in the `tag=` filter)
# and no control characters (NUL cannot be stored by PostgreSQL), with at
# least one character that is not whitespace. The schema publishes it as the
# tags' `pattern` (todos.serializers), so clients and the server agree.
_TAG_CHAR = r"[^,\x00-\x1f\x7f-\x9f]"
_TAG_VISIBLE = r"[^,\s\x00-\x1f\x7f-\x9f]"
TAG_PATTERN = f"^{_TAG_CHAR}*{_TAG_VISIBLE}{_TAG_CHAR}*$"
_TAG = re.compile(TAG_PATTERN)


def normalise_tags(values):
    """
    Tags as stored: each trimmed and lower-cased, 1-50 characters matching
    TAG_PATTERN, duplicates dropped keeping the first; at most 20 entries.
    Raises ValidationError naming the position.

    The list's length is checked before any entry is looked at, so a hostile
    list of thousands costs nothing.
    """
    if not isinstance(values, list):
        raise ValidationError("Must be a list of strings.", code="not_a_list")
    if len(values) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags.", code="max_length")
    tags = {}  # a dict keeps the order given
    for position, value in enumerate(values):
        if not isinstance(value, str):
            raise ValidationError(f"Tag {position}: must be a string.", code="invalid")
        if not value.strip():
            raise ValidationError(f"Tag {position}: may not be blank.", code="blank")
        tag = value.strip().lower()
        # Lower-casing can lengthen a string ("İ" becomes two characters).
        if max(len(value), len(tag)) > MAX_TAG_LENGTH:
            raise ValidationError(
                f"Tag {position}: at most {MAX_TAG_LENGTH} characters.",
                code="max_length",
            )
        if not _TAG.fullmatch(value) or _has_lone_surrogate(value):
            raise ValidationError(
                f"Tag {position}: no commas or control characters.", code="invalid"
            )
        tags.setdefault(tag, None)
    return list(tags)


def _has_lone_surrogate(text):
    # Valid JSON (`"\ud800"`), yet not a character: it cannot be stored.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class NullsLastIndex(models.Index):
    """
    An index whose descending keys put NULLs last, on every database: PostgreSQL
    needs `DESC NULLS LAST` spelled out, SQLite rejects it in an index but its
    descending order already puts NULLs last.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            self = copy.copy(self)
            self.expressions = tuple(
                OrderBy(expression.expression, descending=expression.descending)
                if isinstance(expression, OrderBy)
                else expression
                for expression in self.expressions
            )
        return super().create_sql(model, schema_editor, using=using, **kwargs)


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


class SyncState(models.Model):
    """
    Per user: the number of the latest change to their todos (`seq`); the
    newest change number whose tombstone has been pruned (`floor`): a change
    feed cursor below it may have missed deletions; and how many todos they
    have (`todos`: the exact total of an unfiltered list, with no COUNT(*) of
    a user's every todo). Kept by every write, under the write lock.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True
    )
    seq = models.BigIntegerField(default=0)
    floor = models.BigIntegerField(default=0)
    todos = models.BigIntegerField(default=0)

    objects = SyncStateManager()

    def __str__(self):
        return f"user {self.user_id} at change {self.seq}"


def bury(owner_id, todo_ids, first=None):
    """
    Record the deletion of `todo_ids` (one owner's) as tombstones, numbered
    from `first` if change numbers were reserved (the caller then counts the
    todos gone), else from fresh ones.
    """
    if first is None:
        last = SyncState.objects.advance(
            owner_id, by=len(todo_ids), grow=-len(todo_ids)
        )
        first = last - len(todo_ids) + 1
    Tombstone.objects.bulk_create(
        [
            Tombstone(owner_id=owner_id, todo_id=todo_id, seq=first + offset)
            for offset, todo_id in enumerate(todo_ids)
        ]
    )


class TodoQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(owner=user)

    def bulk_create(self, objs, *args, **kwargs):
        """
        Insert many todos in a few queries, keeping all that Todo.save()
        keeps: normalised fields, change numbers, the tag index and the stats
        summary.
        """
        todos = list(objs)
        by_owner = defaultdict(list)
        for todo in todos:
            todo.normalise()
            by_owner[todo.owner_id].append(todo)
        with transaction.atomic(using=self.db, savepoint=False):
            counts = {}
            for owner_id, owned in by_owner.items():
                last = SyncState.objects.advance(
                    owner_id, by=len(owned), grow=len(owned)
                )
                for seq, todo in enumerate(owned, start=last - len(owned) + 1):
                    todo.seq = seq
                counts[owner_id] = sum(map(summary.counts_of, owned), Counter())
            created = super().bulk_create(todos, *args, **kwargs)
            TodoTag.objects.bulk_create(
                [
                    TodoTag(todo=todo, owner_id=todo.owner_id, name=tag)
                    for todo in created
                    for tag in todo.tags
                ],
                batch_size=kwargs.get("batch_size"),
            )
            summary.record(counts)
        for todo in created:
            todo._indexed_tags = list(todo.tags)
            todo._counted = summary.counts_of(todo)
            todo._loaded_owner_id = todo.owner_id
        return created

    bulk_create.alters_data = True

    def with_known_count(self, count):
        """
        This queryset, whose count() answers `count` without a query: the
        paginator's COUNT(*) of a user's todos reads every index entry of
        theirs, ~10 ms at 100,000 todos, while the user's SyncState, loaded
        with their session, has the exact total at hand.
        """
        clone = self._chain()
        clone._known_count = count
        return clone

    def count(self):
        known = getattr(self, "_known_count", None)
        return super().count() if known is None else known

    def delete(self):
        # Every deletion leaves a tombstone for the change feed, however the
        # todos are deleted (the admin's bulk action comes through here).
        with transaction.atomic(using=self.db, savepoint=False):
            doomed = defaultdict(list)
            uncounted = defaultdict(Counter)
            for row in self.order_by("pk").values("pk", "owner_id", *COUNTED_FIELDS):
                doomed[row["owner_id"]].append(row["pk"])
                uncounted[row["owner_id"]].subtract(
                    summary.counts_of(SimpleNamespace(**row))
                )
            for owner_id, todo_ids in doomed.items():
                bury(owner_id, todo_ids)
            summary.record(uncounted)
            ids = [pk for todo_ids in doomed.values() for pk in todo_ids]
            return models.QuerySet.delete(Todo.objects.filter(pk__in=ids))

    delete.alters_data = True

    def overdue(self, today):
        return self.filter(self._overdue(today))

    def not_overdue(self, today):
        return self.exclude(self._overdue(today))

    @staticmethod
    def _overdue(today):
        return Q(completed=False, due_date__lt=today)

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

    def stats(self, today):
        """
        Counts over this queryset, in the API's shape: one aggregate query for
        the totals and priorities, one grouped query for the tags. (A user's
        unfiltered stats come from the maintained summary instead: see
        todos.summary.)
        """
        pending = Q(completed=False)
        done = Q(completed=True)
        # Aliases must not shadow field names used inside the filters.
        aggregates = {
            "n_total": Count("pk"),
            "n_completed": Count("pk", filter=done),
            "n_overdue": Count("pk", filter=self._overdue(today)),
            "n_due_today": Count("pk", filter=pending & Q(due_date=today)),
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


def stats_body(total, completed, overdue, due_today, by_priority, by_tag):
    """The stats answer, however its counts were made."""
    return {
        "total": total,
        "completed": completed,
        "pending": total - completed,
        "overdue": overdue,
        "due_today": due_today,
        "completion_rate": round(completed / total, 4) if total else 0,
        "by_priority": {
            label: {"total": counts["total"], "completed": counts["completed"]}
            for label, counts in by_priority.items()
        },
        "by_tag": {
            name: {
                "total": by_tag[name]["total"],
                "completed": by_tag[name]["completed"],
            }
            for name in sorted(by_tag)
            if by_tag[name]["total"]
        },
    }


class Todo(models.Model):
    class Priority(models.IntegerChoices):
        # Stored as a rank, so ordering by priority is low < medium < high.
        LOW = 1, "low"
        MEDIUM = 2, "medium"
        HIGH = 3, "high"

    # No index of its own: every index below starts with the owner.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="todos",
        db_index=False,
    )
    title = models.CharField(max_length=500)
    # NULL and "" differ in the API: "no description" vs an empty one.
    description = models.CharField(  # noqa: DJ001
        max_length=2000, null=True, blank=True
    )
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.MEDIUM
    )
    due_date = models.DateField(null=True, blank=True)
    completed = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The tags in the order given; TodoTag rows index them for filters and
    # stats on every database (SQLite has no indexable JSON containment).
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The owner's change number (SyncState) of this todo's latest change:
    # its version for ETags and its place in the change feed.
    seq = models.BigIntegerField(default=0, editable=False)

    objects = TodoQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # Chosen with EXPLAIN ANALYZE on the benchmark's million todos (see
        # README, Performance); todoapp/tests/test_indexes.py pins their use.
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

    def save(self, *args, seq=None, **kwargs):
        """
        Save with the next change number of the owner, or `seq` if the caller
        reserved one (and then counts a new todo itself).
        """
        self.normalise()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "seq", "updated_at"}
        if getattr(self, "_loaded_owner_id", self.owner_id) != self.owner_id:
            # The tag index, the feed and the summary are all per owner.
            raise ValueError("A todo cannot change owner.")
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            before = self._counted_before()
            if seq is None:
                grow = 1 if self._state.adding else 0
                seq = SyncState.objects.advance(self.owner_id, grow=grow)
            self.seq = seq
            super().save(*args, **kwargs)
            self._index_tags()
            after = summary.counts_of(self)
            summary.record({self.owner_id: summary.difference(before, after)})
            self._counted = after

    def delete(self, *args, seq=None, **kwargs):
        """
        Delete, leaving a tombstone numbered with the next change number, or
        `seq` if the caller reserved one (and then counts the todo gone).
        """
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            bury(self.owner_id, [self.pk], first=seq)
            before = self._counted_before()
            summary.record({self.owner_id: summary.difference(before, {})})
            return super().delete(*args, **kwargs)

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

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What the tag index and the stats summary hold for this todo, to
        # write only the difference on save.
        instance._indexed_tags = instance.__dict__.get("tags")
        instance._loaded_owner_id = instance.owner_id
        if not instance.get_deferred_fields() & COUNTED_FIELDS:
            instance._counted = summary.counts_of(instance)
        return instance

    def _counted_before(self):
        """What the summary counts for this todo as stored (nothing if new)."""
        if self._state.adding:
            return {}
        if getattr(self, "_counted", None) is None:  # loaded without those fields
            self._counted = Todo.objects.get(pk=self.pk)._counted
        return self._counted

    def _index_tags(self):
        indexed = getattr(self, "_indexed_tags", None) or []
        if indexed == self.tags:
            return
        removed = set(indexed) - set(self.tags)
        if removed:
            TodoTag.objects.filter(todo=self, name__in=removed).delete()
        TodoTag.objects.bulk_create(
            [
                TodoTag(todo=self, owner_id=self.owner_id, name=tag)
                for tag in self.tags
                if tag not in indexed
            ]
        )
        self._indexed_tags = list(self.tags)


class TodoTag(models.Model):
    """
    One row per tag of a todo: the index behind the `tag=` filter and the
    per-tag stats. Written only by Todo.save(), in the todo's transaction.
    `owner` repeats the todo's owner so one user's tags are one index range.
    """

    # Indexed by the constraints below (todo, name) and (owner, name, todo).
    todo = models.ForeignKey(
        Todo, on_delete=models.CASCADE, related_name="tag_index", db_index=False
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

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    todo_id = models.BigIntegerField()
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
    date or tag (`dimension` "priority", "due" or "tag", and its `value`).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
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
                fields=["owner", "dimension", "value", "completed"],
                name="todostat_unique_count",
            )
        ]

    def __str__(self):
        return f"{self.dimension}={self.value} completed={self.completed}: {self.n}"
