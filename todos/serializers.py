import builtins

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from api.fields import (
    BoundedListField,
    FieldsBuiltOnce,
    GivenFieldsOnly,
    StrictBooleanField,
    StrictCharField,
    StrictDateField,
    StrictIntegerField,
    iso_datetime,
    literal,
)
from todos import due, placement, recurrence, reminders
from todos.list_serializers import TodoListSerializer
from todos.models import Todo
from todos.people import PeopleOf, UserRefField
from todos.priority import LABELS as PRIORITY_LABELS
from todos.tags import MAX_TAG_LENGTH, MAX_TAGS, TAG_PATTERN, normalise_tags

TAG_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_TAG_LENGTH,
    "pattern": TAG_PATTERN,
}


class PriorityField(serializers.ChoiceField):
    """A priority by name (`low`, `medium`, `high`), stored as its rank."""

    def __init__(self, **kwargs):
        super().__init__(choices=Todo.Priority.labels, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return Todo.Priority[super().to_internal_value(data).upper()]

    def to_representation(self, value):
        return Todo.Priority(value).label


@extend_schema_field(
    {
        "type": "array",
        "items": TAG_SCHEMA,
        "maxItems": MAX_TAGS,
        "description": f"At most {MAX_TAGS}; each trimmed and lower-cased, "
        "duplicates dropped. No tag is blank or contains a comma or a control "
        "character.",
    }
)
class TagsField(serializers.Field):
    def to_internal_value(self, data):
        try:
            return normalise_tags(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(get_error_detail(exc)) from None

    def to_representation(self, value):
        return list(value)


@extend_schema_field(
    {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"}
)
class WallTimeField(serializers.TimeField):
    """A wall-clock time, `HH:MM` or `HH:MM:SS` in, `HH:MM:SS` out."""

    def __init__(self, **kwargs):
        super().__init__(
            format="%H:%M:%S", input_formats=["%H:%M", "%H:%M:%S"], **kwargs
        )


REMINDER_SCHEMA = {
    "oneOf": [
        {
            "type": "object",
            "title": "ReminderBefore",
            "properties": {
                "before": {
                    "type": "string",
                    "pattern": reminders.DURATION_PATTERN,
                    "description": reminders.BEFORE_HELP,
                }
            },
            "required": ["before"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "title": "ReminderAt",
            "properties": {
                "at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "An instant (RFC 3339 with its offset); "
                    "rendered in UTC.",
                }
            },
            "required": ["at"],
            "additionalProperties": False,
        },
    ]
}


@extend_schema_field(
    {
        "type": "array",
        "items": REMINDER_SCHEMA,
        "maxItems": reminders.MAX_REMINDERS,
        "description": f"At most {reminders.MAX_REMINDERS}, each mailed once "
        "per occurrence when its time comes (to the assignee, else the "
        "creator); not while completed; one whose time is past when set "
        "never fires. No reminder twice.",
    }
)
class RemindersField(serializers.Field):
    def to_internal_value(self, data):
        try:
            return reminders.normalise(data)
        except reminders.InvalidReminders as exc:
            errors = exc.errors
            if None in errors:
                raise serializers.ValidationError(errors[None]) from None
            raise serializers.ValidationError(
                {
                    position: {key: [message] for key, message in error.items()}
                    if isinstance(error, dict)
                    else [error]
                    for position, error in errors.items()
                }
            ) from None

    def to_representation(self, value):
        return [dict(reminder) for reminder in value]


class TodoPageSerializer(serializers.ListSerializer):
    """Many todos: the users they name are looked up once for all of them."""

    def to_representation(self, data):
        todos = data.all() if hasattr(data, "all") else data
        todos = list(todos)
        people = PeopleOf.of_todos(self.context.get("request"), todos)
        return [self.child.to_representation(todo, people) for todo in todos]


def _list_id(**kwargs):
    return StrictIntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


class TodoSerializer(FieldsBuiltOnce, GivenFieldsOnly, serializers.ModelSerializer):
    # Defaults apply on create and PUT (which replaces every writable field)
    # but not on PATCH, which DRF validates as partial. A todo's place (list,
    # parent) and assignee stay as they are unless given, on PUT too, so a
    # client that knows nothing of lists never moves a todo.
    list = _list_id(
        source="list_id",
        required=False,
        help_text="The list it is in; on create, the caller's default list "
        "unless given. Changing it moves the todo and its subtasks.",
    )
    parent = _list_id(
        source="parent_id",
        required=False,
        allow_null=True,
        help_text="The todo it is a subtask of, in the same list (null: none).",
    )
    position = serializers.CharField(
        read_only=True,
        help_text="Its place among its siblings (same list and parent): "
        "compare positions as bytes; the server assigns them (see move).",
    )
    assignee = UserRefField(help_text="The member it is assigned to, if any.")
    assignee_id = _list_id(
        required=False,
        allow_null=True,
        write_only=True,
        help_text="Assign to this member of the list (null: to nobody).",
    )
    created_by = UserRefField(help_text="Who created it (null if since deleted).")
    title = StrictCharField(max_length=500)
    description = StrictCharField(
        max_length=2000,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        default=None,
    )
    priority = PriorityField(default=Todo.Priority.MEDIUM)
    due_date = StrictDateField(allow_null=True, default=None)
    due_time = WallTimeField(
        allow_null=True,
        default=None,
        help_text="A wall-clock time on `due_date` (`HH:MM` or `HH:MM:SS`); "
        "null: all day. Needs a `due_date`.",
    )
    due_timezone = StrictCharField(
        allow_null=True,
        default=None,
        max_length=64,
        help_text="The IANA time zone of `due_time` (`Europe/Paris`); null: "
        "floating, in the owner's own time zone wherever they are.",
    )
    due_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="A timed todo's instant, in UTC; null for an all-day todo.",
    )
    recurrence = StrictCharField(
        allow_null=True,
        default=None,
        max_length=recurrence.MAX_LENGTH,
        help_text="An RFC 5545 recurrence rule (`FREQ=WEEKLY;BYDAY=MO,WE`) whose "
        "first occurrence is the due date (and time); needs a `due_date`. FREQ "
        "is DAILY or WEEKLY (with INTERVAL, COUNT, UNTIL, BYDAY, WKST), MONTHLY "
        "or YEARLY (also BYMONTHDAY, BYMONTH, BYSETPOS). Completing the todo "
        "moves it to its next occurrence; null: it does not recur.",
    )
    recurrence_basis = serializers.ChoiceField(
        choices=["due", "completion"],
        default="due",
        help_text="`due`: the next occurrence follows the schedule; "
        "`completion`: the rule applies from when it was last done.",
    )
    last_completed_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When it was last completed (a recurring todo reopens).",
    )
    completed = StrictBooleanField(default=False)
    tags = TagsField(default=builtins.list)
    reminders = RemindersField(default=builtins.list)

    class Meta:
        model = Todo
        fields = (
            "id",
            "list",
            "parent",
            "position",
            "title",
            "description",
            "priority",
            "due_date",
            "due_time",
            "due_timezone",
            "due_at",
            "recurrence",
            "recurrence_basis",
            "last_completed_at",
            "completed",
            "completed_at",
            "tags",
            "reminders",
            "assignee",
            "assignee_id",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "completed_at", "created_at", "updated_at")
        list_serializer_class = TodoPageSerializer
        # The model has no uniqueness for DRF to check (unique_together,
        # unique_for_date); declared, so that DRF does not work that out
        # again on every write (290 Python calls). A test holds it to DRF's.
        validators = []

    def to_representation(self, todo, people=None):
        # Hand-written for speed: this runs for every todo of every list page,
        # feed page and bulk answer, and DRF's generic path (a deep copy of the
        # fields per serializer, then a lookup and a method call per field)
        # costs more than the whole rest of a list request. It must render
        # exactly what the declared fields would: todos/tests/test_serializers.py
        # holds it to that.
        if people is None:
            people = PeopleOf.of_todos(self.context.get("request"), [todo])
        # Foreign keys' ids from the instance's dict: their attributes are
        # descriptors, a call each per read.
        ids = todo.__dict__
        return {
            "id": todo.pk,
            "list": ids["list_id"],
            "parent": ids["parent_id"],
            "position": todo.position,
            "title": todo.title,
            "description": todo.description,
            "priority": PRIORITY_LABELS[todo.priority],
            "due_date": todo.due_date.isoformat() if todo.due_date else None,
            "due_time": todo.due_time.isoformat() if todo.due_time else None,
            "due_timezone": todo.due_timezone,
            "due_at": iso_datetime(todo.due_at) if todo.due_at else None,
            "recurrence": todo.recurrence,
            "recurrence_basis": todo.recurrence_basis,
            "last_completed_at": iso_datetime(todo.last_completed_at)
            if todo.last_completed_at
            else None,
            "completed": todo.completed,
            "completed_at": iso_datetime(todo.completed_at),
            "tags": list(todo.tags),
            "reminders": [dict(reminder) for reminder in todo.reminders]
            if todo.reminders
            else [],
            "assignee": people[ids["assignee_id"]],
            "created_by": people[ids["created_by_id"]],
            "created_at": iso_datetime(todo.created_at),
            "updated_at": iso_datetime(todo.updated_at),
        }

    # Writes go in the ledger's Book the caller opened (todos.ledger), given
    # as the context's "book": the caller holds the lock for what it reads.

    def validate_due_timezone(self, value):
        if value is not None and value not in due.zone_names():
            raise serializers.ValidationError(
                "Not an IANA time zone name (such as Europe/Paris)."
            )
        return value

    def validate(self, attrs):
        """
        A time needs a date; where the todo goes: its list, parent and
        assignee (todos.placement).
        """

        def resulting(field):
            if field in attrs or self.instance is None:
                return attrs.get(field)
            return getattr(self.instance, field)

        dated = "due_time" in attrs or "due_date" in attrs
        if dated and resulting("due_time") is not None:
            if resulting("due_date") is None:
                raise serializers.ValidationError(
                    {"due_time": ["A due time needs a due_date."]}
                )
        if dated or "recurrence" in attrs:
            self._check_recurrence(attrs, resulting)
        if dated or "reminders" in attrs:
            self._check_reminders(resulting)
        user = self.context["request"].user
        placement.check_place(user, self.instance, attrs)
        return attrs

    @staticmethod
    def _check_reminders(resulting):
        """A reminder before the due needs one at a time."""
        if resulting("due_time") is None:
            untimed = reminders.needing_a_time(resulting("reminders") or [])
            if untimed:
                message = "A reminder before the due needs a due_time."
                raise serializers.ValidationError(
                    {"reminders": {n: {"before": [message]} for n in untimed}}
                )

    @staticmethod
    def _check_recurrence(attrs, resulting):
        """
        A rule needs a due date, and has an occurrence from it on: its first
        (recurrence_start, set again whenever the rule or the due changes).
        """
        rule = resulting("recurrence")
        if rule is None:
            attrs["recurrence_start"] = None
            return
        day = resulting("due_date")
        if day is None:
            raise serializers.ValidationError(
                {"recurrence": ["A recurring todo needs a due_date."]}
            )
        start = recurrence.start_of(day, resulting("due_time"))
        try:
            recurrence.check(rule, start)
        except recurrence.InvalidRule as exc:
            raise serializers.ValidationError({"recurrence": [str(exc)]}) from None
        attrs["recurrence"] = rule.upper()
        attrs["recurrence_start"] = start.isoformat()

    def create(self, validated_data):
        return self.context["book"].save(Todo(**validated_data))

    def update(self, instance, validated_data):
        changed = {
            field: value
            for field, value in validated_data.items()
            if getattr(instance, field) != value
        }
        if not changed:
            # Nothing to write: the same version, the same ETag, no change
            # in the feed (a retried PATCH is harmless).
            return instance
        book = self.context["book"]
        moved = {"list_id", "parent_id"} & changed.keys()
        for field, value in changed.items():
            setattr(instance, field, value)
        # Only the columns that change (and what follows from them): a
        # shorter UPDATE, and less of it for the ORM to build.
        update_fields = set(changed)
        if moved:
            instance.position = ""  # last among its new siblings
            update_fields.add("position")
        if "completed" in changed:
            update_fields.add("completed_at")
        book.save(instance, update_fields=update_fields)
        if "list_id" in changed:
            placement.move_subtasks(book, instance)
        return instance


class MoveTodoSerializer(serializers.Serializer):
    list = _list_id(
        source="list_id",
        required=False,
        help_text="The list to move it to (with its subtasks); default: its own.",
    )
    parent = _list_id(
        source="parent_id",
        required=False,
        allow_null=True,
        help_text="The todo to make it a subtask of (null: top level); default: "
        "its parent, or top level when it changes list.",
    )
    after = _list_id(
        allow_null=True,
        help_text="The sibling (same list and parent) to put it right after; "
        "null: first.",
    )


class PriorityCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    completed = serializers.IntegerField()


class ByPrioritySerializer(serializers.Serializer):
    low = PriorityCountsSerializer()
    medium = PriorityCountsSerializer()
    high = PriorityCountsSerializer()


class TodoStatsSerializer(serializers.Serializer):
    """Documents the stats body (built by TodoQuerySet.stats)."""

    total = serializers.IntegerField()
    completed = serializers.IntegerField()
    pending = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Not completed, due before today.")
    due_today = serializers.IntegerField(help_text="Not completed, due today.")
    completion_rate = serializers.FloatField(
        help_text="completed / total, 4 places; 0 if none."
    )
    by_priority = ByPrioritySerializer()
    by_tag = serializers.DictField(
        child=PriorityCountsSerializer(),
        help_text="Counts per tag carried by these todos.",
    )


# --- sync: change feed and bulk operations -----------------------------------
# Each union below is a PolymorphicProxySerializer: a `oneOf` with a
# discriminator in the schema, so generated clients get one type per variant
# with its required keys.


class ChangeUpsertSerializer(serializers.Serializer):
    type = literal("todo")
    op = literal("upsert")
    todo = TodoSerializer(help_text="The todo as it is now.")
    etag = serializers.CharField(help_text="The todo's ETag.")


class ChangeDeleteSerializer(serializers.Serializer):
    type = literal("todo")
    op = literal("delete")
    id = serializers.IntegerField(
        help_text="The todo's id: deleted, or no longer where the caller sees it."
    )


class ListChangeUpsertSerializer(serializers.Serializer):
    type = literal("list")
    op = literal("upsert")
    list = TodoListSerializer(help_text="The list as the caller sees it now.")
    etag = serializers.CharField(help_text="The list's ETag.")


class ListChangeDeleteSerializer(serializers.Serializer):
    type = literal("list")
    op = literal("delete")
    id = serializers.IntegerField(
        help_text="The list's id: deleted, or no longer shared with the caller."
    )


class ChangeFeedSerializer(serializers.Serializer):
    """Documents the feed page (built in todos.feed)."""

    # Four variants, told apart by `type` and `op` together: a oneOf without
    # a discriminator (OpenAPI's takes one property), each variant with both
    # tags as one-value enums, which generated clients check when parsing.
    changes = PolymorphicProxySerializer(
        component_name="Change",
        serializers=[
            ChangeUpsertSerializer,
            ChangeDeleteSerializer,
            ListChangeUpsertSerializer,
            ListChangeDeleteSerializer,
        ],
        resource_type_field_name=None,
        many=True,
    )
    cursor = serializers.CharField(
        help_text="Pass it back as `cursor` for what follows."
    )
    has_more = serializers.BooleanField(help_text="More changes wait: fetch again now.")


MAX_BULK_OPERATIONS = 100


def _todo_id(**kwargs):
    return StrictIntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


def _if_match():
    return StrictCharField(
        required=False, max_length=200, help_text="As the If-Match header."
    )


@extend_schema_field(TodoSerializer)
class TodoDataField(serializers.DictField):
    """
    A todo's fields, checked by the operation itself (TodoSerializer in
    todos.bulk), so that one bad operation fails alone.
    """


@extend_schema_field(TodoSerializer(partial=True))
class TodoChangesField(serializers.DictField):
    """The fields to change, checked by the operation itself (PATCH rules)."""


class BulkCreateSerializer(serializers.Serializer):
    op = literal("create")
    data = TodoDataField(help_text="The todo, as for POST todos.")


class BulkUpdateSerializer(serializers.Serializer):
    op = literal("update")
    id = _todo_id()
    data = TodoChangesField(help_text="The fields to change, as for PATCH.")
    if_match = _if_match()


class BulkDeleteSerializer(serializers.Serializer):
    op = literal("delete")
    id = _todo_id()
    if_match = _if_match()


class BulkMoveSerializer(MoveTodoSerializer):
    op = literal("move")
    id = _todo_id()
    if_match = _if_match()


BULK_OPERATIONS = {
    "create": BulkCreateSerializer,
    "update": BulkUpdateSerializer,
    "delete": BulkDeleteSerializer,
    "move": BulkMoveSerializer,
}


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="BulkOperation",
        serializers=BULK_OPERATIONS,
        resource_type_field_name="op",
    )
)
class BulkOperationField(serializers.Field):
    """One operation, checked by the serializer its `op` names."""

    default_error_messages = {"invalid": "Must be an object."}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        op = data.get("op")
        variant = BULK_OPERATIONS.get(op) if isinstance(op, str) else None
        if variant is None:
            choices = ", ".join(BULK_OPERATIONS)
            raise serializers.ValidationError({"op": [f"Must be one of: {choices}."]})
        serializer = variant(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class BulkRequestSerializer(serializers.Serializer):
    operations = BoundedListField(
        child=BulkOperationField(), max_length=MAX_BULK_OPERATIONS
    )
    atomic = StrictBooleanField(
        default=False, help_text="All operations or none (424 for those not applied)."
    )


@extend_schema_field({"$ref": "#/components/schemas/Problem"})
class ProblemField(serializers.JSONField):
    """A problem document, as the single-todo endpoint would answer."""


class BulkSavedSerializer(serializers.Serializer):
    outcome = literal("saved")
    status = literal(201, 200, help_text="201 created, 200 updated or moved.")
    todo = TodoSerializer()
    etag = serializers.CharField()


class BulkDeletedSerializer(serializers.Serializer):
    outcome = literal("deleted")
    status = literal(204)


class BulkFailedSerializer(serializers.Serializer):
    outcome = literal("failed")
    status = literal(
        400,
        403,
        404,
        412,
        424,
        help_text="424: not applied, as the atomic batch failed.",
    )
    error = ProblemField()


class BulkResponseSerializer(serializers.Serializer):
    """Documents the answer (built in todos.bulk): one result per operation."""

    results = PolymorphicProxySerializer(
        component_name="BulkResult",
        serializers={
            "saved": BulkSavedSerializer,
            "deleted": BulkDeletedSerializer,
            "failed": BulkFailedSerializer,
        },
        resource_type_field_name="outcome",
        many=True,
    )


class CompletionSerializer(serializers.Serializer):
    """One completion of a todo (the occurrence done, for a recurring one)."""

    todo_id = serializers.IntegerField()
    title = serializers.CharField()
    list = serializers.IntegerField(source="list_id")
    completed_at = serializers.DateTimeField()
    due_date = serializers.DateField(allow_null=True)
    due_time = WallTimeField(allow_null=True)

    def to_representation(self, completion):
        return {
            "todo_id": completion.todo_id,
            "title": completion.title,
            "list": completion.list_id,
            "completed_at": iso_datetime(completion.completed_at),
            "due_date": completion.due_date.isoformat()
            if completion.due_date
            else None,
            "due_time": completion.due_time.isoformat()
            if completion.due_time
            else None,
        }


class DailyCountSerializer(serializers.Serializer):
    date = serializers.DateField()
    completed = serializers.IntegerField(help_text="Completions that day.")
    created = serializers.IntegerField(help_text="Todos created that day.")
