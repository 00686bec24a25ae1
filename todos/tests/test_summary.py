"""The maintained stats summary never drifts from the live aggregates."""

import datetime as dt
import random

import pytest
from django.core.management import call_command
from django.utils import timezone

from todos import summary
from todos.ledger import TodoStat
from todos.models import Todo

pytestmark = pytest.mark.django_db

TAGS = ["work", "home", "urgent", "errands"]


def random_fields(rng, today):
    fields = {"title": f"t{rng.randint(0, 999)}"}
    if rng.random() < 0.7:
        fields["priority"] = rng.choice(["low", "medium", "high"])
    if rng.random() < 0.7:
        fields["due_date"] = rng.choice(
            [
                None,
                str(today),
                str(today - dt.timedelta(days=rng.randint(1, 5))),
                str(today + dt.timedelta(days=rng.randint(1, 5))),
            ]
        )
    if rng.random() < 0.5:
        fields["completed"] = rng.random() < 0.5
    if rng.random() < 0.6:
        fields["tags"] = rng.sample(TAGS, k=rng.randint(0, 3))
    return fields


def live_equals_summary(client, user):
    maintained = client.get("/api/v1/todos/stats").json()
    # Naming a filter (even an empty one) takes the live aggregate path.
    live = client.get("/api/v1/todos/stats?search=").json()
    assert maintained == live
    # The list's count comes from the summary too.
    listed = client.get("/api/v1/todos").json()["count"]
    assert (
        listed == client.get("/api/v1/todos?search=").json()["count"] == live["total"]
    )
    today = user.today()
    for day in (today - dt.timedelta(days=2), today, today + dt.timedelta(days=3)):
        assert summary.stats_of(user, day) == Todo.objects.for_user(user).stats(day)
    return maintained


def test_summary_matches_live_aggregates_through_random_writes(auth_client, user):
    rng = random.Random(7)
    today = timezone.localdate()
    ids = []
    for step in range(150):
        action = rng.random()
        if action < 0.35 or not ids:
            response = auth_client.post("/api/v1/todos", random_fields(rng, today))
            ids.append(response.json()["id"])
        elif action < 0.6:
            auth_client.patch(
                f"/api/v1/todos/{rng.choice(ids)}", random_fields(rng, today)
            )
        elif action < 0.7:
            auth_client.put(
                f"/api/v1/todos/{rng.choice(ids)}", random_fields(rng, today)
            )
        elif action < 0.8:
            todo_id = ids.pop(rng.randrange(len(ids)))
            auth_client.delete(f"/api/v1/todos/{todo_id}")
        elif action < 0.9:
            operations = [{"op": "create", "data": random_fields(rng, today)}]
            operations += [
                {"op": "update", "id": todo_id, "data": random_fields(rng, today)}
                for todo_id in rng.sample(ids, k=min(2, len(ids)))
            ]
            results = auth_client.post(
                "/api/v1/todos/bulk",
                {"operations": operations, "atomic": rng.random() < 0.5},
                format="json",
            ).json()["results"]
            ids += [r["todo"]["id"] for r in results if r["status"] == 201]
        else:
            # The admin's bulk delete: a queryset delete.
            doomed = rng.sample(ids, k=min(2, len(ids)))
            Todo.objects.filter(pk__in=doomed).delete()
            ids = [todo_id for todo_id in ids if todo_id not in doomed]
        if step % 30 == 0:
            live_equals_summary(auth_client, user)

    stats = live_equals_summary(auth_client, user)
    assert stats["total"] == len(ids)


def test_rebuild_reproduces_the_maintained_counts(auth_client, user, other_user):
    rng = random.Random(3)
    today = timezone.localdate()
    for _ in range(30):
        auth_client.post("/api/v1/todos", random_fields(rng, today))
    maintained = {
        (row.owner_id, row.dimension, row.value, row.completed): row.n
        for row in TodoStat.objects.filter(n__gt=0)
    }

    summary.rebuild()

    rebuilt = {
        (row.owner_id, row.dimension, row.value, row.completed): row.n
        for row in TodoStat.objects.all()
    }
    assert rebuilt == maintained


def test_seeded_data_is_counted(user):
    call_command("seed", "--users", "2", "--todos", "40", "--seed", "5", stdout=None)

    for owner_id in Todo.objects.values_list("owner_id", flat=True).distinct():
        owner = Todo.objects.filter(owner_id=owner_id).first().owner
        assert summary.stats_of(owner, timezone.localdate()) == Todo.objects.for_user(
            owner
        ).stats(timezone.localdate())


def test_a_todo_cannot_change_owner(make_todo, other_user):
    todo = Todo.objects.get(pk=make_todo().pk)
    todo.owner = other_user

    with pytest.raises(ValueError):
        todo.save()


def test_prune_drops_counts_back_at_zero(auth_client):
    todo = auth_client.post("/api/v1/todos", {"title": "x", "tags": ["once"]}).json()
    auth_client.delete(f"/api/v1/todos/{todo['id']}")
    assert TodoStat.objects.filter(n=0).exists()

    call_command("prune", stdout=None)

    assert not TodoStat.objects.filter(n=0).exists()
    assert auth_client.get("/api/v1/todos/stats").json()["total"] == 0
