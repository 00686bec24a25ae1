from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from todoapp.fields import StrictBooleanField, StrictCharField, StrictDateField
from todos.models import MAX_TAG_LENGTH, MAX_TAGS, Todo, normalise_tags


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
