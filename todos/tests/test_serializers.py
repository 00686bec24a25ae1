"""
TodoSerializer's hand-written to_representation() (its fast path) renders
exactly what its declared fields render through DRF's generic path.
"""

import datetime as dt
import itertools

import pytest

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
