"""
The change feed across shared lists under real concurrency, against a live
gunicorn (on PostgreSQL in CI's PostgreSQL run): owners and editors write in
several shared lists (moving todos between lists of different owners, and
out of sight) while a
member follows the feed; the member's replica ends equal to what they see,
with no change handed over twice.
"""

import random
import sqlite3
import threading
import time
import uuid
from collections import defaultdict

import dj_database_url
import psycopg
import pytest
import requests

pytestmark = pytest.mark.live


def _verify(database, email):
    """Mark an address verified, as its mailed link would (the accounts flows)."""
    sql = "UPDATE accounts_user SET email_verified = true WHERE email = %s"
    if not database.startswith("postgres"):
        with sqlite3.connect(database.removeprefix("sqlite:///")) as connection:
            connection.execute(sql.replace("%s", "?"), [email])
        return
    config = dj_database_url.parse(database)
    with psycopg.connect(
        host=config["HOST"],
        port=config["PORT"],
        user=config["USER"],
        dbname=config["NAME"],
        autocommit=True,
    ) as connection:
        connection.execute(sql, [email])


class Person:
    def __init__(self, server, database, name):
        self.email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
        self.client = server.client(server.signup(self.email))
        self.api = server.api
        _verify(database, self.email)

    def new_list(self, name):
        return self.client.post(f"{self.api}/lists", json={"name": name}).json()["id"]

    def share(self, list_id, member, role="editor"):
        invited = self.client.post(
            f"{self.api}/lists/{list_id}/invitations",
            json={"email": member.email, "role": role},
        )
        assert invited.status_code == 201, invited.text
        accepted = member.client.post(
            f"{self.api}/invitations/{invited.json()['id']}/accept"
        )
        assert accepted.status_code == 200, accepted.text


def test_a_member_following_the_feed_holds_what_they_see(server, database):
    ann, bob, cat, dan = (
        Person(server, database, name) for name in ("ann", "bob", "cat", "dan")
    )
    api = server.api
    a1, a2, b1 = ann.new_list("A1"), ann.new_list("A2"), bob.new_list("B1")
    for list_id in (a1, a2):
        ann.share(list_id, cat, "viewer")
        ann.share(list_id, dan)
    ann.share(a1, bob)
    bob.share(b1, cat, "viewer")
    bob.share(b1, dan)
    dan_inbox = dan.client.get(f"{api}/lists").json()["results"][0]["id"]
    writers = {ann: [a1, a2], bob: [b1, a1], dan: [a1, a2, b1, dan_inbox]}

    stop = threading.Event()
    errors = []

    def write(person, lists, seed):
        rng = random.Random(seed)
        session = requests.Session()
        session.headers.update(person.client.headers)
        mine = []
        while not stop.is_set():
            action = rng.random()
            if action < 0.35 or not mine:
                response = session.post(
                    f"{api}/todos",
                    json={"title": f"{seed} {rng.random()}", "list": rng.choice(lists)},
                )
                if response.status_code == 201:
                    mine.append(response.json()["id"])
                continue
            todo_id = rng.choice(mine)
            if action < 0.6:
                body = {
                    "title": f"{seed} {rng.random()}",
                    "completed": rng.random() < 0.5,
                }
                response = session.patch(f"{api}/todos/{todo_id}", json=body)
            elif action < 0.85:
                body = {"list": rng.choice(lists)}
                response = session.patch(f"{api}/todos/{todo_id}", json=body)
            else:
                response = session.delete(f"{api}/todos/{todo_id}")
                if response.status_code == 204:
                    mine.remove(todo_id)
            # 404: someone else deleted it, or it moved out of this writer's
            # sight; 403: it went into a list this writer cannot change.
            if response.status_code >= 500:
                errors.append(response.text)
            elif response.status_code in (403, 404):
                mine.remove(todo_id)

    replica, seen, cursor = {}, defaultdict(list), None

    def read_page():
        nonlocal cursor
        params = {"cursor": cursor, "limit": 7} if cursor else {"limit": 7}
        response = cat.client.get(f"{api}/todos/changes", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        for change in body["changes"]:
            kind = change["type"]
            if change["op"] == "upsert":
                replica[kind, change[kind]["id"]] = change[kind]
                if kind == "todo":
                    seen[change["todo"]["id"]].append(change["etag"])
            else:
                replica.pop((kind, change["id"]), None)
                if kind == "todo":
                    seen[change["id"]].append("deleted")
        cursor = body["cursor"]
        return not body["has_more"]

    threads = [
        threading.Thread(target=write, args=(person, lists, seed))
        for seed, (person, lists) in enumerate(writers.items())
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        read_page()
    stop.set()
    for thread in threads:
        thread.join()
    while not read_page():
        pass

    assert not errors
    expected = {}
    for kind, url in (("list", f"{api}/lists"), ("todo", f"{api}/todos")):
        page = f"{url}?page_size=100"
        while page:
            body = cat.client.get(page).json()
            expected.update({(kind, item["id"]): item for item in body["results"]})
            page = body["next"]
    assert replica == expected
    assert sum(kind == "todo" for kind, _ in expected) > 10
    # Nothing handed over twice: no version of a todo twice. (A deletion may
    # follow a deletion: a todo that came back into sight and left again
    # between two reads is handed over as its last state, gone.)
    for history in seen.values():
        versions = [entry for entry in history if entry != "deleted"]
        assert len(versions) == len(set(versions)), history
