"""Lists as the API shows them: the list, and the caller's place in it."""

from django.core.validators import RegexValidator
from rest_framework import serializers

from api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    iso_datetime,
)
from todos.lists import Role, TodoList
from todos.people import UserRefSerializer

COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"


class TodoListSerializer(serializers.ModelSerializer):
    """
    Renders a list as the caller sees it (todos.list_rows.ShownList);
    writes the list. Defaults apply on create and PUT, not on PATCH.
    """

    name = StrictCharField(max_length=200, help_text="1-200 characters, trimmed.")
    color = StrictCharField(
        allow_null=True,
        default=None,
        max_length=7,
        validators=[
            RegexValidator(COLOR_PATTERN, "Must be null or a color as #rrggbb.")
        ],
        help_text="null, or a color as `#rrggbb`.",
    )
    archived = StrictBooleanField(
        default=False,
        help_text="An archived list's todos are left out of the todo list and "
        "stats unless `list=` names it.",
    )
    position = serializers.CharField(
        read_only=True,
        help_text="Its place in the caller's own order of lists: compare as "
        "bytes; the server assigns it (see move).",
    )
    is_default = serializers.BooleanField(
        read_only=True,
        help_text="The account's default list (its Inbox): never deleted or shared.",
    )
    role = serializers.ChoiceField(
        choices=Role.choices, read_only=True, help_text="The caller's role."
    )
    owner = UserRefSerializer(read_only=True)
    member_count = serializers.IntegerField(
        read_only=True, help_text="Members, the owner included."
    )
    todo_count = serializers.IntegerField(read_only=True)
    open_count = serializers.IntegerField(
        read_only=True, help_text="Todos not completed."
    )

    class Meta:
        model = TodoList
        fields = (
            "id",
            "name",
            "color",
            "position",
            "is_default",
            "archived",
            "role",
            "owner",
            "member_count",
            "todo_count",
            "open_count",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_at", "updated_at")

    def validate_color(self, value):
        return value.lower() if value else value

    def to_representation(self, shown):
        # From a todos.list_rows.ShownList: the list as the caller sees it.
        return {
            "id": shown.list_id,
            "name": shown.name,
            "color": shown.color,
            "position": shown.position,
            "is_default": shown.is_default,
            "archived": shown.archived,
            "role": shown.role,
            "owner": {
                "id": shown.owner_id,
                "email": shown.owner_email,
                "name": shown.owner_name,
            },
            "member_count": shown.member_count,
            "todo_count": shown.todo_count,
            "open_count": shown.open_count,
            "created_at": iso_datetime(shown.created_at),
            "updated_at": iso_datetime(shown.updated_at),
        }


class MoveListSerializer(serializers.Serializer):
    after = StrictIntegerField(
        min_value=1,
        max_value=2**63 - 1,
        allow_null=True,
        help_text="The id of the list to put it right after; null: first.",
    )
