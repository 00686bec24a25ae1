"""
The list's queries are served by indexes, not by a scan of the whole table
(PostgreSQL only: the indexes were chosen with EXPLAIN ANALYZE on the
benchmark's million todos; see README, Performance).

Sequential scans are switched off for the EXPLAIN: on a test-sized table the
planner would rightly prefer one, and the question is whether an index can
serve the query at all.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

QUERIES = {
    "default order": "",
    "completed": "completed=false",
    "priority": "priority=high,low",
    "tag": "tag=work",
    "two tags": "tag=work,home",
    "due range": "due_after=2030-01-01&due_before=2030-02-01",
    "overdue": "overdue=true",
    "not overdue": "overdue=false",
    "search": "search=report",
    "order by due date": "ordering=due_date",
    "order by due date, latest first": "ordering=-due_date",
    "order by priority, highest first": "ordering=-priority",
    "order by creation": "ordering=created_at",
    "everything at once": "completed=false&priority=high&tag=work&search=report"
    "&due_after=2030-01-01&overdue=false&ordering=-due_date",
}


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("index plans are checked on PostgreSQL")


@pytest.fixture
def data(make_todo, other_user):
    for index in range(40):
        for owner in (None, other_user):
            make_todo(
                owner=owner,
                title=f"Write report {index}",
                tags=["work"] if index % 2 else ["home", "work"],
                due_date=f"{2020 + index % 20}-01-{index % 28 + 1:02d}"
                if index % 3
                else None,
                priority=index % 3 + 1,
                completed=index % 4 == 0,
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE todos_todo")
        cursor.execute("ANALYZE todos_todotag")


def plans_of(client, path, switched_off=("enable_seqscan",)):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    plans = []
    with connection.cursor() as cursor:
        for setting in switched_off:
            cursor.execute(f"SET {setting} = off")
        try:
            for query in captured.captured_queries:
                if "todos_todo" not in query["sql"]:
                    continue
                cursor.execute("EXPLAIN " + query["sql"])
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        finally:
            for setting in switched_off:
                cursor.execute(f"RESET {setting}")
    return plans


# With sorting switched off too, an ordered page is served only if an index
# yields rows in that order.
NO_SCAN_NO_SORT = ("enable_seqscan", "enable_sort")


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_list_queries_use_indexes(auth_client, data, query):
    plans = plans_of(auth_client, f"/api/v1/todos?{query}")

    # The count and the page (without filters, the total comes with the
    # session: the page alone).
    assert len(plans) == (2 if query else 1)
    for plan in plans:
        assert "Seq Scan" not in plan, plan
        assert "Index" in plan, plan


@pytest.mark.parametrize(
    "ordering, index",
    [
        ("", "todo_owner_created"),
        ("?ordering=-due_date", "todo_owner_due_desc"),
        ("?ordering=due_date", "todo_owner_due"),
        ("?ordering=-priority", "todo_owner_priority"),
    ],
)
def test_ordered_pages_are_read_from_an_index(auth_client, data, ordering, index):
    *_, page = plans_of(auth_client, f"/api/v1/todos{ordering}", NO_SCAN_NO_SORT)

    assert index in page, page
    # No full sort; an incremental one within equal due dates is fine.
    nodes = [line.strip().removeprefix("->").strip() for line in page.splitlines()]
    assert not any(node.startswith("Sort  (") for node in nodes), page


def test_change_feed_reads_by_change_number(auth_client, data):
    plans = plans_of(auth_client, "/api/v1/todos/changes?limit=5")

    # By the owner's numbers, or (one list) by that list's.
    assert any("todo_owner_seq" in p or "todo_list_seq" in p for p in plans)
    assert all("Seq Scan" not in plan for plan in plans)


@pytest.fixture
def lists(auth_client, data, user):
    """Two lists of the user's, with subtasks and assignments."""
    from todos.models import Todo

    groceries = auth_client.post("/api/v1/lists", {"name": "Groceries"}).json()["id"]
    parent = Todo.objects.filter(owner=user).first()
    for index in range(30):
        auth_client.post(
            "/api/v1/todos",
            {
                "title": f"item {index}",
                "list": groceries,
                "assignee_id": user.pk if index % 2 else None,
            },
        )
        auth_client.post(
            "/api/v1/todos", {"title": f"sub {index}", "parent": parent.pk}
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE todos_todo")
    return {"groceries": groceries, "parent": parent.pk}


LIST_QUERIES = {
    "one list": "list={groceries}",
    "two lists": "list={groceries},{parent_list}",
    "subtasks": "parent={parent}",
    "top level": "parent=none",
    "assigned to me": "assignee=me",
    "assigned to nobody": "assignee=none",
    "manual order of a list": "list={groceries}&parent=none&ordering=position",
}


@pytest.mark.parametrize("query", LIST_QUERIES.values(), ids=LIST_QUERIES.keys())
def test_list_filters_use_indexes(auth_client, lists, user, query):
    from todos.models import Todo

    parent_list = Todo.objects.get(pk=lists["parent"]).list_id
    path = "/api/v1/todos?" + query.format(**lists, parent_list=parent_list)

    for plan in plans_of(auth_client, path):
        assert "Seq Scan" not in plan, plan
        assert "Index" in plan, plan


@pytest.mark.parametrize(
    "query, index",
    [
        ("list={groceries}", "todo_list_created"),
        ("list={groceries}&parent=none&ordering=position", "todo_top_level"),
        ("parent={parent}&ordering=position", "todo_parent"),
    ],
)
def test_list_pages_are_read_in_order_from_an_index(auth_client, lists, query, index):
    path = "/api/v1/todos?" + query.format(**lists)

    *_, page = plans_of(auth_client, path, NO_SCAN_NO_SORT)

    assert index in page, page
    nodes = [line.strip().removeprefix("->").strip() for line in page.splitlines()]
    assert not any(node.startswith("Sort  (") for node in nodes), page


@pytest.fixture
def member_client(auth_client, lists, make_user, user):
    """A member of the user's Groceries list, who has lists of their own."""
    from testing.helpers import bearer_client
    from todos import ledger, sharing
    from todos.lists import Invitation, TodoList

    member = make_user("member@example.com", email_verified=True)
    todo_list = TodoList.objects.get(pk=lists["groceries"])
    with ledger.writing(user.pk) as book:
        invitation = sharing.invite(
            book, todo_list, member.email, "editor", user, "http://x"
        )
    sharing.accept(member, Invitation.objects.get(pk=invitation.pk))
    client = bearer_client(member)
    for index in range(5):
        client.post("/api/v1/todos", {"title": f"mine {index}"})
    return client


SHARED_QUERIES = {
    "everything they see": "",
    "the shared list": "list={groceries}",
    "the shared list, top level, in order": "list={groceries}&parent=none"
    "&ordering=position",
    "assigned to them": "assignee=me",
    "the feed": None,
}


@pytest.mark.parametrize("query", SHARED_QUERIES.values(), ids=SHARED_QUERIES.keys())
def test_a_members_queries_use_indexes(member_client, lists, query):
    path = (
        "/api/v1/todos/changes"
        if query is None
        else "/api/v1/todos?" + query.format(**lists)
    )
    for plan in plans_of(member_client, path):
        assert "Seq Scan" not in plan, plan
        assert "Index" in plan, plan


def test_timed_todos_stats_and_overdue_use_indexes(auth_client, data):
    for hour in range(8, 20):
        auth_client.post(
            "/api/v1/todos",
            {"title": f"at {hour}", "due_date": "2030-01-01", "due_time": f"{hour}:00"},
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE todos_todo")

    for path in ("/api/v1/todos/stats", "/api/v1/todos?overdue=true"):
        plans = plans_of(auth_client, path)
        assert plans, path
        for plan in plans:
            assert "Seq Scan" not in plan, plan
    # The summary, then the timed todos' count by instant.
    *_, timed = plans_of(auth_client, "/api/v1/todos/stats")
    assert "todo_owner_due_at" in timed, timed


def explained(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")


def test_the_reminder_schedulers_tick_and_upcoming_use_indexes(auth_client, data):
    from todos import reminder_delivery

    for hour in range(8, 20):
        auth_client.post(
            "/api/v1/todos",
            {
                "title": f"at {hour}",
                "due_date": "2030-01-01",
                "due_time": f"{hour}:00",
                "reminders": [{"before": "PT15M"}, {"before": "P1D"}],
            },
            format="json",
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE todos_reminder")

    with CaptureQueriesContext(connection) as tick:
        assert reminder_delivery.deliver_batch() == 0
    (take,) = [q["sql"] for q in tick.captured_queries if "todos_reminder" in q["sql"]]
    assert "reminder_next_attempt" in explained(take)

    plans = plans_of(auth_client, "/api/v1/reminders/upcoming")
    assert plans and all("Seq Scan" not in plan for plan in plans), plans
    assert any("reminder_recipient" in plan for plan in plans), plans
