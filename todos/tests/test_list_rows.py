"""
The hand-written list query (todos.list_rows) answers what the ORM's
definition, Membership.objects.shown_to(), answers.
"""

import pytest

from todos import list_rows
from todos.list_rows import ShownList
from todos.lists import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists(auth_client, other_client):
    made = []
    for name, color in (("Groceries", "#aabbcc"), ("Work", None), ("Ünïcode ✓", None)):
        made.append(
            auth_client.post("/api/v1/lists", {"name": name, "color": color}).json()
        )
    for index in range(7):
        todo = auth_client.post(
            "/api/v1/todos", {"title": f"t{index}", "list": made[index % 2]["id"]}
        ).json()
        if index % 3 == 0:
            auth_client.patch(f"/api/v1/todos/{todo['id']}", {"completed": True})
    auth_client.patch(f"/api/v1/lists/{made[1]['id']}", {"archived": True})
    auth_client.post(f"/api/v1/lists/{made[2]['id']}/move", {"after": None})
    other_client.post("/api/v1/lists", {"name": "Not mine"})
    return made


def test_the_rows_equal_the_orm_definition(user, lists):
    by_orm = [ShownList.of(shown) for shown in Membership.objects.shown_to(user)]

    assert list_rows.shown(user) == by_orm
    assert len(by_orm) == 4
    assert {row.todo_count for row in by_orm} >= {3, 4}


def test_one_row_and_a_page_equal_the_orm_definition(user, lists):
    by_orm = {
        shown.list_id: ShownList.of(shown)
        for shown in Membership.objects.shown_to(user)
    }

    for list_id, expected in by_orm.items():
        assert list_rows.shown_one(user, list_id) == expected
    assert list_rows.ShownLists(user)[1:3] == list(by_orm.values())[1:3]
    count = list_rows.ShownLists(user).count()
    assert count == Membership.objects.filter(user=user).count() == 4
    assert list_rows.shown_one(user, 10**12) is None


def test_the_feeds_rows_are_the_changed_and_the_touched(user, lists):
    every = list_rows.shown(user)
    newest = max(row.version for row in every)
    inbox = next(row for row in every if row.is_default)

    def windows(after):
        return {row.list_id: (after, newest) for row in every}

    changed = list_rows.changed_or_touched(user, windows(newest - 1), set(), 10)
    touched = list_rows.changed_or_touched(user, windows(newest), {inbox.list_id}, 10)

    assert [row.version for row in changed] == [newest]
    assert touched == [inbox]
