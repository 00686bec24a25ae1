"""
The reads compiled once (api.compiled) give what the ORM gives: the same SQL
and the same todos, for each shape they are compiled in.
"""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef

from api.compiled import Plan, Slices
from todos import access, ledger, sharing
from todos.feed import _own_graves, _owners_seqs, seen_version
from todos.ledger import SyncState, TodoStat, Tombstone
from todos.lists import Invitation, TodoList
from todos.models import (
    Todo,
    _own_changed,
    _own_newest_first,
    _seen_one,
    _seen_unarchived,
)
from todos.people import _refs_of
from todos.placement import _following
from todos.summary import _summary_rows

pytestmark = pytest.mark.django_db


def state_of(todo):
    return {key: value for key, value in todo.__dict__.items() if key != "_state"}


def states(todos):
    return [state_of(todo) for todo in todos]


@pytest.fixture
def varied_todos(make_todo, user, other_user):
    """Todos with every kind of column filled, and someone else's."""
    groceries = TodoList.objects.create(owner=user, name="Groceries")
    parent = make_todo(title="parent", tags=["a", "b"], priority=3)
    make_todo(title="child", parent=parent, completed=True, description="")
    make_todo(
        title="timed",
        list=groceries,
        due_date=dt.date(2030, 3, 30),
        due_time=dt.time(9, 15),
        due_timezone="Europe/Paris",
        reminders=[{"before": "PT15M"}],
    )
    make_todo(title="weekly", due_date=dt.date(2030, 1, 2), recurrence="FREQ=WEEKLY")
    for index in range(6):
        make_todo(title=f"plain {index}")
    make_todo(owner=other_user, title="not theirs")
    return groceries


def share(todo_list, member):
    with ledger.writing(todo_list.owner_id) as book:
        invitation = sharing.invite(
            book, todo_list, member.email, "editor", todo_list.owner, "http://x"
        )
    sharing.accept(member, Invitation.objects.get(pk=invitation.pk))


@pytest.mark.parametrize(("low", "high"), [(0, 20), (0, 3), (3, 6), (9, 12)])
def test_a_page_of_ones_own_todos_is_the_orms_page(varied_todos, user, low, high):
    general = Todo.objects.for_user(user)[low:high]
    plan = _own_newest_first(connection.alias)

    sql, params = general.query.sql_with_params()
    assert (plan.sql_for(low, high), plan.params_for(user.pk)) == (sql, list(params))
    fast = Todo.objects.own_newest_first(user, count=11)[low:high]
    assert [todo.title for todo in fast] == [todo.title for todo in general]
    assert states(fast) == states(general)
    assert "not theirs" not in [todo.title for todo in fast]


@pytest.mark.parametrize(
    ("after", "upto", "limit"), [(0, 99, 50), (2, 7, 3), (5, 5, 9)]
)
def test_the_feeds_own_todos_are_the_orms(varied_todos, user, after, upto, limit):
    general = Todo.objects.filter(owner=user, seq__gt=after, seq__lte=upto).order_by(
        "seq"
    )[:limit]
    plan = _own_changed(connection.alias)

    sql, params = general.query.sql_with_params()
    assert (plan.sql_for(0, limit), plan.params_for(user.pk, after, upto)) == (
        sql,
        list(params),
    )
    # The backend's own types (on PostgreSQL an Int8 for the bigint seq).
    assert [type(p) for p in plan.params_for(user.pk, after, upto)] == [
        type(p) for p in params
    ]
    fast = Todo.objects.own_changed(user, after, upto, limit)
    assert states(fast) == states(general)
    assert [todo.seq for todo in fast] == sorted(todo.seq for todo in fast)


def test_the_page_counts_what_it_is_told(user):
    assert Todo.objects.own_newest_first(user, count=7).count() == 7


@pytest.mark.parametrize("shares", [False, True])
def test_one_todo_is_the_one_the_orm_gets(
    varied_todos, user, other_user, make_todo, shares
):
    if shares:
        share(varied_todos, other_user)
    seen = Todo.objects.for_user(other_user)
    plan = _seen_one(connection.alias, shares)
    some = Todo.objects.order_by("pk").first()
    sql, params = seen.filter(pk=some.pk).order_by().query.sql_with_params()
    assert (plan.sql_for(), plan.params_for(other_user.pk, some.pk)) == (
        sql,
        list(params),
    )

    for todo in Todo.objects.all():
        general = seen.filter(pk=todo.pk).first()
        fast = Todo.objects.seen_one(other_user, todo.pk)
        assert (fast and state_of(fast)) == (general and state_of(general))
    assert Todo.objects.seen_one(other_user, 2**62) is None
    # Their own todo, and with sharing the list's: nothing else.
    visible = {todo.title for todo in Todo.objects.all()} - {
        todo.title
        for todo in Todo.objects.all()
        if Todo.objects.seen_one(other_user, todo.pk) is None
    }
    assert visible == ({"not theirs", "timed"} if shares else {"not theirs"})


@pytest.mark.parametrize(("low", "high"), [(0, 20), (0, 3), (2, 5)])
@pytest.mark.parametrize("shares", [False, True])
def test_a_page_without_archived_lists_is_the_orms_page_and_count(
    varied_todos, user, other_user, make_todo, shares, low, high
):
    archived = TodoList.objects.create(owner=other_user, name="Old", archived=True)
    make_todo(owner=other_user, list=archived, title="archived")
    for index in range(4):
        make_todo(owner=other_user, title=f"theirs {index}")
    if shares:
        share(varied_todos, other_user)
    other_user.refresh_from_db()  # their sync state, as a session brings it
    general = Todo.objects.for_user(other_user).filter(list__archived=False)
    plan = _seen_unarchived(connection.alias, shares)

    sql, params = general[low:high].query.sql_with_params()
    assert (plan.sql_for(low, high), plan.params_for(other_user.pk)) == (
        sql,
        list(params),
    )
    fast = Todo.objects.seen_unarchived(other_user)
    assert fast.count() == general.count() == (6 if shares else 5)
    assert states(fast[low:high]) == states(general[low:high])
    titles = {todo.title for todo in fast[0:20]}
    assert "archived" not in titles and ("timed" in titles) == shares


def test_slices_take_a_count_or_a_plan_counting_them(user):
    with pytest.raises(TypeError):
        Slices(_own_newest_first(connection.alias), [user.pk])


@pytest.mark.parametrize("hide_archived", [False, True])
@pytest.mark.parametrize("shares", [False, True])
def test_the_summary_rows_are_the_orms(
    varied_todos, user, other_user, shares, hide_archived
):
    if shares:
        share(varied_todos, other_user)
    rows = access.seen_by(TodoStat.objects.filter(n__gt=0), other_user)
    if hide_archived:
        rows = rows.filter(list__archived=False)
    rows = rows.values_list("dimension", "value", "completed", "n")
    plan = _summary_rows(connection.alias, shares, hide_archived)

    sql, params = rows.query.sql_with_params()
    assert (plan.sql_for(), plan.params_for(other_user.pk)) == (sql, list(params))
    assert sorted(plan.fetch(other_user.pk)) == sorted(rows)
    # The shared list's timed todo counts for them only when they share it.
    assert any(row[0] == "timed" for row in rows) == shares


def test_the_version_of_shared_lists_is_the_orms(varied_todos, user, other_user):
    share(varied_todos, other_user)
    mine = TodoList.objects.create(owner=other_user, name="Mine")
    other_user.refresh_from_db()
    owners = TodoList.objects.filter(memberships__user=other_user).values("owner_id")
    general = (
        SyncState.objects.filter(user_id__in=owners)
        .order_by("user_id")
        .values_list("user_id", "seq")
    )
    plan = _owners_seqs(connection.alias)

    sql, params = general.query.sql_with_params()
    assert (plan.sql_for(), plan.params_for(other_user.pk)) == (sql, list(params))
    expected = ",".join(f"{pk}:{seq}" for pk, seq in general)
    assert seen_version(other_user) == expected
    assert expected.count(":") == 2 and mine.owner_id == other_user.pk


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 9])
def test_the_people_todos_name_are_the_orms(django_user_model, count):
    users = [
        django_user_model.objects.create_user(
            email=f"p{index}@example.com", password="x", name=f"P {index}"
        )
        for index in range(count + 2)
    ]
    wanted = [user.pk for user in users[:count]]

    found = sorted(_refs_of(wanted))

    assert found == sorted(
        django_user_model.objects.filter(pk__in=wanted).values_list(
            "id", "email", "name"
        )
    )
    assert len(found) == count


@pytest.mark.parametrize(("after", "limit"), [(0, 50), (0, 2), (11, 9), (13, 1)])
def test_the_feeds_own_graves_are_the_orms(
    varied_todos, user, auth_client, after, limit
):
    plain = list(Todo.objects.filter(owner=user, title__startswith="plain"))
    elsewhere = auth_client.post("/api/v1/lists", {"name": "Elsewhere"}, format="json")
    for todo in plain[:2]:  # moved to another of their lists: kept
        moved = auth_client.patch(
            f"/api/v1/todos/{todo.pk}",
            {"list": elsewhere.json()["id"]},
            format="json",
        )
        assert moved.status_code == 200, moved.content
    Todo.objects.filter(pk__in=[todo.pk for todo in plain[2:5]]).delete()
    upto = SyncState.objects.get(user=user).seq
    general = (
        Tombstone.objects.filter(owner=user, seq__gt=after, seq__lte=upto)
        .annotate(kept=Exists(Todo.objects.filter(owner=user, pk=OuterRef("todo_id"))))
        .order_by("seq")
    )[:limit]
    plan = _own_graves(connection.alias)

    sql, params = general.query.sql_with_params()
    assert (plan.sql_for(0, limit), plan.params_for(user.pk, after, upto)) == (
        sql,
        list(params),
    )
    fast = plan.fetch(user.pk, after, upto, high=limit)
    assert states(fast) == states(general)
    assert [grave.kept for grave in fast] == [grave.kept for grave in general]
    if after == 0 and limit == 50:
        assert sorted(grave.kept for grave in fast) == [False] * 3 + [True] * 2


@pytest.mark.parametrize("under_parent", [False, True])
@pytest.mark.parametrize("leaving_out", [False, True])
@pytest.mark.parametrize("after_one", [False, True])
def test_the_following_positions_are_the_orms(
    varied_todos, user, make_todo, under_parent, leaving_out, after_one
):
    parent = Todo.objects.get(title="parent")
    for index in range(4):
        make_todo(title=f"sub {index}", parent=parent)
    siblings = Todo.objects.filter(
        list_id=parent.list_id, parent_id=parent.pk if under_parent else None
    ).order_by("position")
    moving, after = siblings[1], siblings[0]
    general = Todo._base_manager.filter(
        list_id=parent.list_id, parent_id=parent.pk if under_parent else None
    )
    if leaving_out:
        general = general.exclude(pk=moving.pk)
    if after_one:
        general = general.filter(position__gt=after.position)
    general = general.order_by("position").values_list("position")
    plan = _following(Todo, connection.alias, under_parent, leaving_out, after_one)
    args = (parent.list_id, parent.pk, moving.pk, after.position)

    sql, params = general.query.sql_with_params()
    assert (plan.sql_for(), plan.params_for(*args)) == (sql, list(params))
    assert plan.fetch(*args) == list(general)
    assert plan.fetch(*args, high=1) == list(general[:1])
    assert len(plan.fetch(*args)) >= 2


def test_a_placeholder_string_taken_into_a_pattern_is_not_a_slot(user):
    plan = Plan(Todo.objects.filter(title__contains=Plan.text(0)).values_list("pk"))

    assert plan.slots == []
