"""
TodoSerializer's hand-written to_representation() (its fast path) renders
exactly what its declared fields render through DRF's generic path.
"""

import datetime as dt
import itertools

import pytest
from rest_framework import serializers

from testing.helpers import declared_rendering
from todos.models import Todo
from todos.serializers import TodoSerializer

pytestmark = pytest.mark.django_db


INSTANTS = [
    dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC),  # whole seconds
    dt.datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime(2027, 1, 1, 9, 0, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=5))),
]
VARIANTS = {
    "title": ["x", "Épicerie 🛒 — 牛奶", "t" * 500],
    "description": [None, "", "ligne 1\nligne 2 \u2028 ü"],
    "priority": list(Todo.Priority),
    "due_date": [None, dt.date(2026, 2, 28), dt.date(1999, 12, 31)],
    "completed": [False, True],
    "tags": [[], ["a"], [f"tag-{n}-ß" for n in range(20)]],
}


def varied_todos(user):
    """Todos covering every variant of every field, each at least once."""
    longest = max(len(values) for values in VARIANTS.values())
    for index in range(longest * 3):
        fields = {
            name: values[index % len(values)] for name, values in VARIANTS.items()
        }
        todo = Todo.objects.create(owner=user, **fields)
        # Timestamps as stored, in several shapes (with and without
        # microseconds, given in another offset).
        todo.created_at = INSTANTS[index % len(INSTANTS)]
        todo.completed_at = INSTANTS[(index + 1) % len(INSTANTS)]
        yield todo
        yield Todo.objects.get(pk=todo.pk)  # and as read back from the database


def test_fast_rendering_equals_the_declared_fields(user):
    rendered = 0
    for todo in varied_todos(user):
        assert TodoSerializer(todo).data == declared_rendering(todo), todo.pk
        rendered += 1

    assert rendered >= 18


def test_every_variant_was_rendered(user):
    seen = {name: set() for name in VARIANTS}
    for todo in itertools.islice(varied_todos(user), 0, None, 2):
        for name in VARIANTS:
            value = getattr(todo, name)
            seen[name].add(tuple(value) if isinstance(value, list) else value)

    for name, values in VARIANTS.items():
        expected = {tuple(v) if isinstance(v, list) else v for v in values}
        assert seen[name] >= expected, name


PATCH_BODIES = [
    {},
    {"completed": True},
    {"completed": "yes"},
    {"title": "  renamed  ", "priority": "high"},
    {"title": None},
    {"priority": "urgent", "due_date": "not a date"},
    {"due_date": "2030-01-02", "due_time": "09:15", "due_timezone": "Europe/Paris"},
    {"tags": ["a", "A", "b"], "reminders": [{"before": "PT15M"}]},
    {"list": 3, "parent": None, "assignee_id": None},
    {"unknown": 1, "id": 99, "position": "x", "due_at": "2030-01-01T00:00:00Z"},
    {"recurrence": "FREQ=DAILY", "recurrence_basis": "completion"},
    {"description": None, "completed": False},
]


def validated(serializer, body, every_field):
    """to_internal_value()'s answer: (data, None) or (None, errors)."""
    if every_field:  # DRF's own: every writable field asked
        validate = serializers.Serializer.to_internal_value
    else:
        validate = type(serializer).to_internal_value
    try:
        return dict(validate(serializer, body)), None
    except serializers.ValidationError as error:
        return None, error.detail


@pytest.mark.parametrize("body", PATCH_BODIES)
def test_a_partial_update_validates_as_drf_validates_it(make_todo, body):
    todo = make_todo(title="before")
    serializer = TodoSerializer(todo, data=body, partial=True)

    mine = validated(serializer, body, every_field=False)
    drfs = validated(serializer, body, every_field=True)

    assert mine == drfs
    writable = {
        name for name, field in serializer.fields.items() if not field.read_only
    }
    if writable & body.keys() and mine[1] is None:
        assert mine[0]  # the case is not vacuous
