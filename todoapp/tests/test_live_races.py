"""
Real concurrent requests against a live gunicorn: no lost update, no
duplicate, no 500, whatever the interleaving. On PostgreSQL in CI (.ci/run);
on SQLite the same tests check that writes queue instead of failing.
"""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from testing.servers import LiveServer, TemporaryRedis

pytestmark = pytest.mark.live


def parallel(calls):
    """Run the callables at once, one thread each; their results in order."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_parallel_signups_with_one_email_create_one_account(server):
    email = f"race-{uuid.uuid4().hex[:8]}@example.com"

    def signup():
        return requests.post(
            f"{server.api}/auth/signup",
            json={"email": email, "password": "correct horse battery staple"},
            timeout=60,
        )

    responses = parallel([signup] * 20)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [400] * 19, statuses
    for response in responses:
        if response.status_code == 400:
            assert response.json()["errors"][0]["field"] == "email"


def test_parallel_patches_of_different_fields_keep_every_change(server):
    client = server.client(server.signup(f"patch-{uuid.uuid4().hex[:8]}@example.com"))
    todo = client.post(
        f"{server.api}/todos",
        json={
            "title": "before",
            "description": "before",
            "priority": "low",
            "due_date": None,
            "completed": False,
            "tags": ["before"],
        },
    ).json()
    changes = [
        {"title": "after"},
        {"description": "after"},
        {"priority": "high"},
        {"due_date": "2031-02-03"},
        {"completed": True},
        {"tags": ["after", "again"]},
    ]
    url = f"{server.api}/todos/{todo['id']}"

    # 50 PATCHes, each of one field; every PATCH of a field sets the same value,
    # so any order must end with every field changed.
    def patch(change):
        return lambda: client.patch(url, json=change, timeout=60)

    responses = parallel([patch(changes[i % len(changes)]) for i in range(50)])

    assert [response.status_code for response in responses] == [200] * 50
    final = client.get(url).json()
    for change in changes:
        for field, value in change.items():
            assert final[field] == value, (field, final)
    assert final["completed_at"] is not None
    stats = client.get(f"{server.api}/todos/stats").json()
    assert stats["by_tag"] == {
        "after": {"total": 1, "completed": 1},
        "again": {"total": 1, "completed": 1},
    }


def test_parallel_creates_deletes_and_stats_stay_consistent(server):
    client = server.client(server.signup(f"mix-{uuid.uuid4().hex[:8]}@example.com"))
    doomed = [
        client.post(
            f"{server.api}/todos", json={"title": f"old {i}", "tags": ["old"]}
        ).json()
        for i in range(15)
    ]

    def create(i):
        return lambda: client.post(
            f"{server.api}/todos",
            json={"title": f"new {i}", "completed": i % 2 == 0, "tags": ["new"]},
            timeout=60,
        )

    def delete(todo):
        return lambda: client.delete(f"{server.api}/todos/{todo['id']}", timeout=60)

    def stats():
        return client.get(f"{server.api}/todos/stats", timeout=60)

    calls = [create(i) for i in range(20)] + [delete(t) for t in doomed] + [stats] * 10
    responses = parallel(calls)

    assert [r.status_code for r in responses[:20]] == [201] * 20
    assert [r.status_code for r in responses[20:35]] == [204] * 15
    for response in responses[35:]:
        assert response.status_code == 200
        body = response.json()
        # Each answer is one consistent snapshot.
        assert body["completed"] + body["pending"] == body["total"]
        assert sum(p["total"] for p in body["by_priority"].values()) == body["total"]
    final = client.get(f"{server.api}/todos/stats").json()
    listed = client.get(f"{server.api}/todos?page_size=100").json()
    assert final["total"] == listed["count"] == 20
    assert final["completed"] == 10
    assert final["by_tag"] == {"new": {"total": 20, "completed": 10}}


@pytest.mark.parametrize("counter", ["database", "redis"])
def test_parallel_requests_cannot_slip_past_a_rate_limit(database, counter):
    redis = TemporaryRedis().start() if counter == "redis" else None
    # Behind one (pretend) proxy, so this test is a client address of its
    # own, whatever earlier tests counted for 127.0.0.1.
    env = {
        "DATABASE_URL": database,
        "AUTH_THROTTLE_RATE": "10/min",
        "SIGNIN_MAX_FAILURES": "1000",
        "TRUSTED_PROXY_COUNT": "1",
        **({"REDIS_URL": redis.url} if redis else {}),
    }
    address = {"X-Forwarded-For": f"198.51.100.{uuid.uuid4().int % 250 + 1}"}
    try:
        with LiveServer(env=env, workers=8) as limited:

            def attempt():
                return requests.post(
                    f"{limited.api}/auth/signin",
                    headers=address,
                    json={"email": "nobody@example.com", "password": "wrong password"},
                    timeout=60,
                ).status_code

            statuses = parallel([attempt] * 40)
    finally:
        if redis:
            redis.stop()

    assert statuses.count(401) == 10, statuses
    assert statuses.count(429) == 30
