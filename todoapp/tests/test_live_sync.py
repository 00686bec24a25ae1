"""
Sync under real concurrency, against a live gunicorn: racing conditional
writes, a change feed read while writers commit, retries of an in-flight POST.
"""

import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import dj_database_url
import psycopg
import pytest
import requests

from testing.servers import wait_until

pytestmark = pytest.mark.live


def new_client(server):
    return server.client(server.signup(f"sync-{uuid.uuid4().hex[:8]}@example.com"))


def test_of_two_patches_with_the_same_if_match_exactly_one_wins(server):
    client = new_client(server)
    for round_ in range(10):
        created = client.post(f"{server.api}/todos", json={"title": f"race {round_}"})
        url, etag = created.headers["Location"], created.headers["ETag"]

        def patch(title, url=url, etag=etag):
            return client.patch(url, json={"title": title}, headers={"If-Match": etag})

        with ThreadPoolExecutor(max_workers=2) as pool:
            first, second = pool.map(patch, ["left", "right"])

        assert sorted([first.status_code, second.status_code]) == [200, 412]
        winner = first if first.status_code == 200 else second
        loser = second if winner is first else first
        assert loser.headers["Content-Type"] == "application/problem+json"
        current = client.get(url)
        assert current.json()["title"] == winner.json()["title"]
        assert current.headers["ETag"] == winner.headers["ETag"]


def test_feed_read_during_concurrent_writes_skips_and_repeats_nothing(server):
    client = new_client(server)
    api = server.api
    seed = [
        client.post(f"{api}/todos", json={"title": f"seed {i}"}).json()["id"]
        for i in range(10)
    ]
    stop = threading.Event()
    live_ids = list(seed)
    lock = threading.Lock()

    def writer(number):
        rng = random.Random(number)
        session = requests.Session()
        session.headers.update(client.headers)
        while not stop.is_set():
            action = rng.random()
            if action < 0.4:
                todo_id = session.post(
                    f"{api}/todos", json={"title": f"w{number}"}
                ).json()["id"]
                with lock:
                    live_ids.append(todo_id)
            else:
                with lock:
                    if not live_ids:
                        continue
                    todo_id = rng.choice(live_ids)
                if action < 0.8:
                    session.patch(
                        f"{api}/todos/{todo_id}",
                        json={"title": f"w{number} {rng.random()}"},
                    )
                else:
                    if session.delete(f"{api}/todos/{todo_id}").status_code == 204:
                        with lock:
                            live_ids.remove(todo_id)

    replica, seen, cursor = {}, [], None

    def read_page():
        """Apply one page of the feed; True when it caught up."""
        nonlocal cursor
        params = {"cursor": cursor, "limit": 7} if cursor else {"limit": 7}
        body = client.get(f"{api}/todos/changes", params=params).json()
        for change in body["changes"]:
            if change["type"] != "todo":
                continue  # this test follows todos; lists ride along
            if change["op"] == "upsert":
                replica[change["todo"]["id"]] = change["todo"]
                seen.append(("upsert", change["todo"]["id"], change["etag"]))
            else:
                replica.pop(change["id"], None)
                seen.append(("delete", change["id"]))
        cursor = body["cursor"]
        return not body["has_more"]

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in writers:
        thread.start()
    # Read the feed page by page while the writers commit...
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        read_page()
    stop.set()
    for thread in writers:
        thread.join()
    # ...then catch up with what they wrote last.
    while not read_page():
        pass

    server_todos = {}
    page = f"{api}/todos?page_size=100"
    while page:
        body = client.get(page).json()
        server_todos.update({todo["id"]: todo for todo in body["results"]})
        page = body["next"]
    assert replica == server_todos
    # Each change (a todo's version, or a deletion) was handed over once.
    assert len(seen) == len(set(seen))
    assert len(seen) > 50


def _hold_write_lock(database_url, email):
    """Lock `email`'s change sequence from outside the server, like a long write."""
    config = dj_database_url.parse(database_url)
    connection = psycopg.connect(
        host=config["HOST"],
        port=config["PORT"],
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname=config["NAME"],
    )
    connection.execute(
        "SELECT s.seq FROM todos_syncstate s JOIN accounts_user u ON u.id = s.user_id "
        "WHERE u.email = %s FOR UPDATE OF s",
        [email],
    )
    return connection


def test_retry_while_the_first_request_runs_is_409_then_replays(server, database):
    if not database.startswith("postgres"):
        pytest.skip("holds a row lock from outside the server: PostgreSQL only")
    email = f"idem-{uuid.uuid4().hex[:8]}@example.com"
    client = server.client(server.signup(email))
    client.post(f"{server.api}/todos", json={"title": "makes the sync state row"})
    headers = {"Idempotency-Key": "retry-me"}
    body = {"title": "exactly once"}

    blocker = _hold_write_lock(database, email)
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(
            client.post, f"{server.api}/todos", json=body, headers=headers
        )
        # The first request has claimed its key and now waits for the lock.
        wait_until(lambda: _claimed(database, "retry-me"), 10, what="key claimed")
        during = client.post(f"{server.api}/todos", json=body, headers=headers)
        blocker.rollback()
        blocker.close()
        first = first.result(timeout=30)
    after = client.post(f"{server.api}/todos", json=body, headers=headers)

    assert during.status_code == 409
    assert during.headers["Content-Type"] == "application/problem+json"
    assert first.status_code == 201
    assert after.status_code == 201
    assert after.json() == first.json()
    assert after.headers["Idempotent-Replayed"] == "true"
    titles = [t["title"] for t in client.get(f"{server.api}/todos").json()["results"]]
    assert titles.count("exactly once") == 1


def _claimed(database_url, key):
    config = dj_database_url.parse(database_url)
    with psycopg.connect(
        host=config["HOST"],
        port=config["PORT"],
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname=config["NAME"],
        autocommit=True,
    ) as connection:
        row = connection.execute(
            "SELECT 1 FROM todoapp_idempotencykey WHERE key = %s", [key]
        ).fetchone()
    return row is not None


def test_parallel_retries_of_one_post_create_one_todo(server):
    client = new_client(server)
    headers = {"Idempotency-Key": "parallel"}

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(
            pool.map(
                lambda _: client.post(
                    f"{server.api}/todos", json={"title": "one"}, headers=headers
                ),
                range(10),
            )
        )

    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    assert client.get(f"{server.api}/todos").json()["count"] == 1
    replay = client.post(f"{server.api}/todos", json={"title": "one"}, headers=headers)
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
