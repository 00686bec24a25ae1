"""
The benchmark's data set, written with COPY.

`large`: 10,000 users and 1,000,000 todos, skewed like real use: most users
have tens of todos, 1% have 1,000-10,000, one has 100,000. `small`: the same
shape at 1/100 of the size. Varied priorities, tags, due dates (past, future,
none); about a third completed. Seeding is idempotent: a data set already in
the database (recorded in table bench_seed) is reused.
"""

import datetime as dt
import json
import random
import sys
import time

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from todos.management.commands import seed as demo_seed
from todos.ordering import integer_key

SCALES = {"small": 0.01, "large": 1.0}
PASSWORD = "bench-password-not-secret"
# The demo seed's titles and descriptions; more tags, for a wider tag filter.
TITLES = demo_seed.TITLES
DESCRIPTIONS = demo_seed.DESCRIPTIONS
TAGS = [*demo_seed.TAGS, "family", "garden", "car", "someday"]

HEAVY_EMAIL = "bench-heavy@example.com"
LISTED_PREFIX = "bench-lists-"
LISTED_USERS = 200
LISTED_TODOS = 200
LISTS_EACH = 20
# One list of SHARED_TODOS todos, its owner's, shared with SHARED_MEMBERS
# editors who each have SHARED_MEMBER_TODOS of their own.
SHARED_OWNER = "bench-shared-owner@example.com"
SHARED_PREFIX = "bench-shared-member-"
SHARED_TODOS = 10_000
SHARED_MEMBERS = 20
SHARED_MEMBER_TODOS = 50


def _position(number):
    """The fractional key of integer `number`, as the lists migration makes."""
    return integer_key(number, 4)


def plan(scale, rng):
    """Per user (id from 1): (email, number of todos). User 1 is the heavy one."""
    factor = SCALES[scale]
    users = round(10_000 * factor)
    total = round(1_000_000 * factor)
    heavy = round(100_000 * factor)
    power = [
        rng.randint(round(1_000 * factor), round(10_000 * factor))
        for _ in range(max(1, users // 100))
    ]
    typical_users = users - 1 - len(power)
    average = (total - heavy - sum(power)) / typical_users
    typical = [
        max(1, round(rng.gauss(average, average / 3))) for _ in range(typical_users)
    ]
    # Make the total exact.
    surplus = total - heavy - sum(power) - sum(typical)
    step = 1 if surplus > 0 else -1
    index = 0
    while surplus:
        if typical[index] + step >= 1:
            typical[index] += step
            surplus -= step
        index = (index + 1) % typical_users
    users_plan = [(HEAVY_EMAIL, heavy)]
    users_plan += [
        (f"bench-power-{n}@example.com", count) for n, count in enumerate(power)
    ]
    users_plan += [
        (f"bench-user-{n}@example.com", count) for n, count in enumerate(typical)
    ]
    # Users who keep their todos in LISTS_EACH lists (after the others).
    users_plan += [
        (f"{LISTED_PREFIX}{n}@example.com", LISTED_TODOS)
        for n in range(max(1, round(LISTED_USERS * factor)))
    ]
    users_plan.append((SHARED_OWNER, max(1, round(SHARED_TODOS * factor))))
    users_plan += [
        (f"{SHARED_PREFIX}{n}@example.com", SHARED_MEMBER_TODOS)
        for n in range(SHARED_MEMBERS)
    ]
    return users_plan


def _spread_over_lists(cursor, users, now):
    """
    The LISTED_PREFIX users get LISTS_EACH - 1 lists besides their Inbox,
    and their todos go round-robin into all of them.
    """
    listed = [
        user_id
        for user_id, (email, _) in enumerate(users, start=1)
        if email.startswith(LISTED_PREFIX)
    ]
    list_id = len(users)  # the Inboxes have the users' ids
    lists, memberships = [], []
    for user_id in listed:
        for index in range(1, LISTS_EACH):
            list_id += 1
            lists.append((list_id, user_id, f"List {index}", now))
            memberships.append((list_id, user_id, _position(index + 1), now))
    with cursor.copy(
        "COPY todos_todolist (id, owner_id, name, is_default, archived, "
        "created_at, updated_at, seq) FROM STDIN"
    ) as copy:
        for row_id, owner_id, name, created in lists:
            copy.write_row((row_id, owner_id, name, False, False, created, created, 0))
    with cursor.copy(
        "COPY todos_membership (id, list_id, user_id, role, position, joined_at, "
        "seq) FROM STDIN"
    ) as copy:
        # One member each: a membership can take its list's id.
        for row_list, user_id, position, joined in memberships:
            copy.write_row((row_list, row_list, user_id, "owner", position, joined, 0))
    # The n-th todo of a user (by id) into their (n mod LISTS_EACH)-th list:
    # the Inbox, or the user's own lists in id order.
    cursor.execute(
        """
        WITH own AS (
            SELECT owner_id, id,
                   row_number() OVER (PARTITION BY owner_id ORDER BY id) - 1 AS n
            FROM todos_todolist WHERE owner_id = ANY(%s) AND NOT is_default
        ), spread AS (
            SELECT id, owner_id,
                   (row_number() OVER (PARTITION BY owner_id ORDER BY id)) %% %s AS n
            FROM todos_todo WHERE owner_id = ANY(%s)
        )
        UPDATE todos_todo t SET list_id = own.id
        FROM spread JOIN own ON own.owner_id = spread.owner_id AND own.n = spread.n - 1
        WHERE t.id = spread.id AND spread.n > 0
        """,
        [listed, LISTS_EACH, listed],
    )


def _share_a_list(cursor, users, now):
    """SHARED_OWNER's todos all in one list, shared with the members."""
    ids = {email: user_id for user_id, (email, _) in enumerate(users, start=1)}
    owner = ids[SHARED_OWNER]
    members = [ids[f"{SHARED_PREFIX}{n}@example.com"] for n in range(SHARED_MEMBERS)]
    cursor.execute(
        "INSERT INTO todos_todolist (id, owner_id, name, is_default, archived, "
        "created_at, updated_at, seq) SELECT max(id) + 1, %s, 'Shared', false, "
        "false, %s, %s, 0 FROM todos_todolist RETURNING id",
        [owner, now, now],
    )
    (list_id,) = cursor.fetchone()
    cursor.execute(
        "INSERT INTO todos_membership (id, list_id, user_id, role, position, "
        "joined_at, seq) SELECT m.base + n.i, %s, n.user_id, n.role, 'a1', %s, 0 "
        "FROM (SELECT max(id) AS base FROM todos_membership) m, "
        "unnest(%s::bigint[], %s::text[]) WITH ORDINALITY AS n(user_id, role, i)",
        [list_id, now, [owner, *members], ["owner"] + ["editor"] * len(members)],
    )
    cursor.execute(
        "UPDATE todos_todo SET list_id = %s WHERE owner_id = %s", [list_id, owner]
    )
    return members


# Bumped when the data set changes, so that an older one is seeded afresh.
SEED_VERSION = 3


def _marker(scale):
    return f"{scale}-v{SEED_VERSION}"


def is_seeded(scale):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_seed (scale text PRIMARY KEY, "
            "seeded_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute("SELECT 1 FROM bench_seed WHERE scale = %s", [_marker(scale)])
        return cursor.fetchone() is not None


def _progress(label, done, total, started):
    width = 30
    filled = int(width * done / total) if total else width
    rate = done / max(time.monotonic() - started, 1e-9)
    sys.stderr.write(
        f"\r  {label:<6} [{'#' * filled}{'.' * (width - filled)}] "
        f"{done:>9,}/{total:,} ({rate:,.0f}/s)"
    )
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def seed(scale, seed_value=20261124):
    """Write the data set for `scale` unless it is there already."""
    if is_seeded(scale):
        print(f"Reusing the {scale} data set already seeded.")
        return
    rng = random.Random(seed_value)
    users = plan(scale, rng)
    total_todos = sum(count for _, count in users)
    print(f"Seeding {scale}: {len(users):,} users, {total_todos:,} todos")
    started = time.monotonic()
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    password = make_password(PASSWORD)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_user, todos_todo, todos_todotag, todos_syncstate, "
            "todos_tombstone, todos_todostat, todos_todolist, todos_membership, "
            "accounts_session, "
            "accounts_ratelimitcounter, todoapp_idempotencykey RESTART IDENTITY CASCADE"
        )
        with cursor.copy(
            "COPY accounts_user (id, password, is_superuser, email, email_verified, "
            "name, timezone, is_active, is_staff, created_at, updated_at) FROM STDIN"
        ) as copy:
            for user_id, (email, _) in enumerate(users, start=1):
                copy.write_row(
                    (user_id, password, False, email, True, "", "UTC")
                    + (True, False, now, now)
                )
        # Each user's Inbox has the user's id, and holds all their todos.
        with cursor.copy(
            "COPY todos_todolist (id, owner_id, name, is_default, archived, "
            "created_at, updated_at, seq) FROM STDIN"
        ) as copy:
            for user_id in range(1, len(users) + 1):
                copy.write_row((user_id, user_id, "Inbox", True, False, now, now, 0))
        with cursor.copy(
            "COPY todos_membership (id, list_id, user_id, role, position, joined_at, "
            "seq) FROM STDIN"
        ) as copy:
            for user_id in range(1, len(users) + 1):
                copy.write_row((user_id, user_id, user_id, "owner", "a0", now, 0))
        todo_id = tag_id = 0
        todo_started = time.monotonic()
        with cursor.copy(
            "COPY todos_todo (id, owner_id, list_id, position, created_by_id, title, "
            "description, priority, due_date, completed, completed_at, tags, "
            "created_at, updated_at, seq, recurrence_basis, reminders) FROM STDIN"
        ) as copy:
            tag_rows = []
            for user_id, (_, count) in enumerate(users, start=1):
                for seq in range(1, count + 1):
                    todo_id += 1
                    created = now - dt.timedelta(seconds=rng.randint(0, 365 * 86400))
                    completed = rng.random() < 1 / 3
                    due = rng.random()
                    due_date = (
                        None
                        if due < 0.3
                        else today - dt.timedelta(days=rng.randint(1, 60))
                        if due < 0.65
                        else today + dt.timedelta(days=rng.randint(0, 90))
                    )
                    tags = rng.sample(TAGS, k=rng.choice((0, 1, 1, 2, 2, 3)))
                    copy.write_row(
                        (
                            todo_id,
                            user_id,
                            user_id,
                            _position(seq),
                            user_id,
                            f"{rng.choice(TITLES)} {seq}",
                            rng.choice(DESCRIPTIONS),
                            rng.choice((1, 2, 2, 3)),
                            due_date,
                            completed,
                            created if completed else None,
                            json.dumps(tags),
                            created,
                            created,
                            seq,
                            "due",
                            "[]",
                        )
                    )
                    for tag in tags:
                        tag_id += 1
                        tag_rows.append((tag_id, todo_id, user_id, tag))
                    if todo_id % 50_000 == 0 or todo_id == total_todos:
                        _progress("todos", todo_id, total_todos, todo_started)
        tags_started = time.monotonic()
        with cursor.copy(
            "COPY todos_todotag (id, todo_id, owner_id, name) FROM STDIN"
        ) as copy:
            for index, row in enumerate(tag_rows, start=1):
                copy.write_row(row)
                if index % 100_000 == 0 or index == len(tag_rows):
                    _progress("tags", index, len(tag_rows), tags_started)
        _spread_over_lists(cursor, users, now)
        sharing = _share_a_list(cursor, users, now)
        with cursor.copy(
            "COPY todos_syncstate (user_id, seq, floor, todos, inbox_id, archived, "
            "shared) FROM STDIN"
        ) as copy:
            for user_id, (_, count) in enumerate(users, start=1):
                copy.write_row((user_id, count, 0, count, user_id, 0, 0))
        cursor.execute(
            "UPDATE todos_syncstate SET shared = 1 WHERE user_id = ANY(%s)", [sharing]
        )
        # The stats summary (todos.summary), straight from the tables.
        cursor.execute("""
            INSERT INTO todos_todostat
                (owner_id, list_id, dimension, value, completed, n)
            SELECT owner_id, list_id, 'priority',
                   (ARRAY['low', 'medium', 'high'])[priority], completed, count(*)
            FROM todos_todo GROUP BY owner_id, list_id, priority, completed
            UNION ALL
            SELECT owner_id, list_id, 'due', to_char(due_date, 'YYYY-MM-DD'),
                   completed, count(*)
            FROM todos_todo WHERE due_date IS NOT NULL
            GROUP BY owner_id, list_id, due_date, completed
            UNION ALL
            SELECT t.owner_id, d.list_id, 'tag', t.name, d.completed, count(*)
            FROM todos_todotag t JOIN todos_todo d ON d.id = t.todo_id
            GROUP BY t.owner_id, d.list_id, t.name, d.completed
        """)
        for table in (
            "accounts_user",
            "todos_todo",
            "todos_todotag",
            "todos_todolist",
            "todos_membership",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        cursor.execute("INSERT INTO bench_seed (scale) VALUES (%s)", [_marker(scale)])
    # Fresh statistics and visibility map: what a settled database has.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"Seeded {total_todos:,} todos and {len(tag_rows):,} tags "
        f"in {time.monotonic() - started:.0f} s."
    )
