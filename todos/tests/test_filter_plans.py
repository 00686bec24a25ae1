"""
A filtered page read by plans (todos.filter_plans) is the ORM's: the same SQL
and the same todos and count, for every filter, alone and together, for a
user who shares lists and one who does not; and a plan compiled for one
user's request answers another's with their own todos.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test import RequestFactory

from todos import ledger, sharing
from todos.filter_plans import _plans, _values, planned_rows
from todos.filters import TodoFilter
from todos.ledger import SyncState
from todos.lists import Invitation, TodoList
from todos.models import Todo

pytestmark = pytest.mark.django_db

QUERIES = [
    "completed=true",
    "completed=false&recurring=false",
    "recurring=true",
    "priority=high,low",
    "tag=work",
    "tag=work&tag=home",
    "due_after=2030-01-05",
    "due_before=2030-01-05&due_after=2029-12-01",
    "list={groceries}",
    "list={groceries},{archived}",
    "parent=none",
    "parent={parent}",
    "assignee=none",
    "assignee={assignee}",
    "search=PLAN",
    "search=50%25_off",
    "ordering=due_date",
    "ordering=-due_date,title",
    "ordering=position",
    "ordering=-priority,created_at",
    "completed=false&priority=high,medium&tag=work&search=report"
    "&due_after=2020-01-01&ordering=-due_date,title",
]


@pytest.fixture
def todos(make_todo, user, other_user):
    groceries = TodoList.objects.create(owner=user, name="Groceries")
    archived = TodoList.objects.create(owner=user, name="Old", archived=True)
    SyncState.objects.count_archived(user.pk)  # as archiving through the API does
    parent = make_todo(title="plan the week", tags=["work"], priority=3)
    make_todo(title="child", parent=parent, completed=True, tags=["work", "home"])
    make_todo(
        title="report",
        description="the plan",
        list=groceries,
        priority=2,
        tags=["work"],
        due_date=dt.date(2030, 1, 2),
        due_time=dt.time(9, 15),
        due_timezone="Europe/Paris",
    )
    make_todo(title="weekly", due_date=dt.date(2030, 1, 9), recurrence="FREQ=WEEKLY")
    make_todo(title="50%_off sale", priority=1, due_date=dt.date(2029, 12, 24))
    make_todo(title="in the archive", list=archived, tags=["work"])
    make_todo(title="late", due_date=dt.date(2020, 3, 1))
    make_todo(title="assigned", list=groceries, assignee_id=user.pk)
    for index in range(4):
        make_todo(title=f"plain {index}", due_date=dt.date(2030, 1, index + 1))
    make_todo(owner=other_user, title="theirs: plan", tags=["work"], priority=3)
    return {
        "groceries": groceries.pk,
        "archived": archived.pk,
        "parent": parent.pk,
        "assignee": user.pk,
    }


def share(todo_list_id, member):
    todo_list = TodoList.objects.get(pk=todo_list_id)
    with ledger.writing(todo_list.owner_id) as book:
        invitation = sharing.invite(
            book, todo_list, member.email, "editor", todo_list.owner, "http://x"
        )
    sharing.accept(member, Invitation.objects.get(pk=invitation.pk))


def validated(query, user):
    request = RequestFactory().get(f"/api/v1/todos?{query}")
    request.user = user
    filters = TodoFilter(request.GET, queryset=Todo.objects.none(), request=request)
    assert filters.is_valid(), filters.errors
    return filters


def ids(todos):
    return [todo.pk for todo in todos]


@pytest.mark.parametrize("shares", [False, True])
@pytest.mark.parametrize("query", QUERIES)
def test_a_planned_page_is_the_orms(todos, user, other_user, shares, query):
    reader = other_user if shares else user
    if shares:
        share(todos["groceries"], other_user)
        reader.refresh_from_db()  # their sync state, as a session brings it
    query = query.format(**todos)
    filters = validated(query, reader)
    hide_archived = "list=" not in query
    general = Todo.objects.for_user(reader)
    if hide_archived:
        general = general.filter(list__archived=False)
    general = filters.filter_queryset(general)

    rows = planned_rows(filters, reader, hide_archived)

    assert rows is not None
    page, _ = _plans(
        connection.alias, shares, hide_archived, _values(filters.form.cleaned_data)
    )
    sql, params = general.query.sql_with_params()
    assert (page.sql, page.params_for(reader.pk)) == (sql, list(params))
    assert rows.count() == general.count()
    assert ids(rows[0:100]) == ids(general)
    assert ids(rows[1:3]) == ids(general[1:3])


def test_the_api_answers_a_planned_page_as_the_orm_does(todos, user, auth_client):
    for query in QUERIES:
        query = query.format(**todos)
        filters = validated(query, user)
        general = Todo.objects.for_user(user)
        if "list=" not in query:
            general = general.filter(list__archived=False)
        expected = ids(filters.filter_queryset(general))

        body = auth_client.get(f"/api/v1/todos?{query}&page_size=100").json()

        assert [todo["id"] for todo in body["results"]] == expected, query
        assert body["count"] == len(expected), query


def test_one_plan_serves_every_user_with_their_own_todos(
    todos, user, other_user, auth_client, other_client
):
    query = "tag=work&search=plan"
    # Both have archived lists, so both are read without them: one shape.
    TodoList.objects.create(owner=other_user, name="Old", archived=True)
    SyncState.objects.count_archived(other_user.pk)
    _plans.cache_clear()

    mine = auth_client.get(f"/api/v1/todos?{query}").json()
    theirs = other_client.get(f"/api/v1/todos?{query}").json()

    assert _plans.cache_info().misses == 1 and _plans.cache_info().hits == 1
    assert {todo["title"] for todo in mine["results"]} == {"plan the week", "report"}
    assert [todo["title"] for todo in theirs["results"]] == ["theirs: plan"]


@pytest.mark.parametrize("query", ["overdue=true", "overdue=false", "assignee=me"])
def test_filters_reading_the_clock_or_the_caller_are_not_planned(
    todos, user, auth_client, query
):
    assert planned_rows(validated(query, user), user, True) is None
    filters = validated(query, user)
    expected = ids(
        filters.filter_queryset(
            Todo.objects.for_user(user).filter(list__archived=False)
        )
    )

    body = auth_client.get(f"/api/v1/todos?{query}&page_size=100").json()

    assert [todo["id"] for todo in body["results"]] == expected
    assert expected  # the case is not vacuous


def test_an_empty_filtered_page_costs_no_query_beyond_its_count(
    todos, user, django_assert_num_queries
):
    rows = planned_rows(validated("search=nowhere", user), user, True)

    with django_assert_num_queries(1):
        assert rows.count() == 0
        assert rows[0:0] == []
