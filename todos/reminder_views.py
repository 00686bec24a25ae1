"""GET reminders/upcoming: what a client schedules as local notifications."""

import datetime as dt

from django import forms
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError

from api.fields import iso_datetime
from todos.filters import InstantField
from todos.reminders import Reminder

DEFAULT_SPAN = dt.timedelta(days=7)


class UpcomingReminderSerializer(serializers.Serializer):
    todo_id = serializers.IntegerField()
    fires_at = serializers.DateTimeField(help_text="When it is mailed (UTC).")
    due_at = serializers.DateTimeField(
        allow_null=True,
        help_text="The todo's due instant (null for an all-day todo).",
    )

    def to_representation(self, reminder):
        return {
            "todo_id": reminder.todo_id,
            "fires_at": iso_datetime(reminder.fires_at),
            "due_at": iso_datetime(reminder.todo.due_at),
        }


@extend_schema(
    summary="List upcoming reminders",
    description="The reminders armed for the caller (those that will be "
    "mailed to them: of todos assigned to them, or created by them and "
    "assigned to nobody) up to `until`, soonest first: one per reminder "
    "still to fire for its todo's current occurrence.",
    parameters=[
        OpenApiParameter(
            "until",
            {"type": "string", "format": "date-time"},
            description="Up to this instant (RFC 3339 with its offset); "
            "default: a week from now.",
        )
    ],
    responses=UpcomingReminderSerializer(many=True),
)
class UpcomingReminders(generics.ListAPIView):
    serializer_class = UpcomingReminderSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Reminder.objects.none()
        return Reminder.objects.upcoming_for(self.request.user, self._until())

    def _until(self):
        raw = self.request.query_params.get("until")
        if raw in (None, ""):
            return timezone.now() + DEFAULT_SPAN
        try:
            return InstantField().clean(raw)
        except forms.ValidationError as exc:
            raise ValidationError({"until": exc.messages}) from None
