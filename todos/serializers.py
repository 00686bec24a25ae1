import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from todoapp.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictDateField,
    StrictIntegerField,
)
from todos.models import MAX_TAG_LENGTH, MAX_TAGS, Todo, normalise_tags


def _iso_datetime(value):
    """As DRF's DateTimeField renders with USE_TZ and TIME_ZONE = "UTC"."""
    if value is None:
        return None
    text = value.astimezone(datetime.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


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
        "items": {"type": "string", "minLength": 1, "maxLength": MAX_TAG_LENGTH},
        "description": "Trimmed and lower-cased, duplicates dropped; at most "
        f"{MAX_TAGS} distinct tags, none blank or containing a comma.",
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


class TodoSerializer(serializers.ModelSerializer):
    # Defaults apply on create and PUT (which replaces every writable field)
    # but not on PATCH, which DRF validates as partial.
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
    completed = StrictBooleanField(default=False)
    tags = TagsField(default=list)

    class Meta:
        model = Todo
        fields = (
            "id",
            "title",
            "description",
            "priority",
            "due_date",
            "completed",
            "completed_at",
            "tags",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "completed_at", "created_at", "updated_at")

    def to_representation(self, todo):
        # Hand-written for speed: this runs for every todo of every list page,
        # feed page and bulk answer, and DRF's generic path (a deep copy of the
        # fields per serializer, then a lookup and a method call per field)
        # costs more than the whole rest of a list request. It must render
        # exactly what the declared fields would (pinned by test_serializers).
        return {
            "id": todo.pk,
            "title": todo.title,
            "description": todo.description,
            "priority": Todo.Priority(todo.priority).label,
            "due_date": todo.due_date.isoformat() if todo.due_date else None,
            "completed": todo.completed,
            "completed_at": _iso_datetime(todo.completed_at),
            "tags": list(todo.tags),
            "created_at": _iso_datetime(todo.created_at),
            "updated_at": _iso_datetime(todo.updated_at),
        }

    # A change number reserved by the caller (bulk) can come in the context;
    # without one, Todo.save() takes the next.

    def create(self, validated_data):
        todo = Todo(**validated_data)
        todo.save(seq=self.context.get("seq"))
        return todo

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
        for field, value in changed.items():
            setattr(instance, field, value)
        instance.save(seq=self.context.get("seq"))
        return instance


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


# --- sync: change feed and bulk operations ------------------------------------


class ChangeSerializer(serializers.Serializer):
    """Documents one change of the feed (built in TodoViewSet.changes)."""

    op = serializers.ChoiceField(choices=["upsert", "delete"])
    todo = TodoSerializer(required=False, help_text="The todo as it is now (upsert).")
    etag = serializers.CharField(required=False, help_text="The todo's ETag (upsert).")
    id = serializers.IntegerField(required=False, help_text="The deleted todo's id.")


class ChangeFeedSerializer(serializers.Serializer):
    changes = ChangeSerializer(many=True)
    cursor = serializers.CharField(
        help_text="Pass it back as `cursor` for what follows."
    )
    has_more = serializers.BooleanField(help_text="More changes wait: fetch again now.")


MAX_BULK_OPERATIONS = 100


class BulkOperationSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["create", "update", "delete"])
    id = StrictIntegerField(
        min_value=1, max_value=2**63 - 1, required=False, help_text="update, delete"
    )
    data = serializers.DictField(
        required=False, help_text="create: a todo; update: the fields to change"
    )
    if_match = StrictCharField(
        required=False, max_length=200, help_text="update, delete: as If-Match"
    )

    def validate(self, attrs):
        op = attrs["op"]
        if op in ("update", "delete") and "id" not in attrs:
            raise serializers.ValidationError({"id": [f"Required for {op}."]})
        if op in ("create", "update") and "data" not in attrs:
            raise serializers.ValidationError({"data": [f"Required for {op}."]})
        return attrs


class BulkRequestSerializer(serializers.Serializer):
    operations = serializers.ListField(
        child=BulkOperationSerializer(), max_length=MAX_BULK_OPERATIONS
    )
    atomic = StrictBooleanField(
        default=False, help_text="All operations or none (424 for those not applied)."
    )


@extend_schema_field({"$ref": "#/components/schemas/Problem"})
class ProblemField(serializers.JSONField):
    """A problem document, as the single-todo endpoint would answer."""


class BulkResultSerializer(serializers.Serializer):
    """Documents one operation's result (built in todos.bulk)."""

    status = serializers.IntegerField(help_text="201, 200, 204, 400, 404, 412 or 424.")
    todo = TodoSerializer(required=False)
    etag = serializers.CharField(required=False)
    error = ProblemField(required=False)


class BulkResponseSerializer(serializers.Serializer):
    results = BulkResultSerializer(many=True)
