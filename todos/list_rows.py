"""
Lists as a user sees them, read in one hand-written query: each list, the
user's membership of it (role, position), its owner and its counts.

It replaces Membership.objects.shown_to() on the paths that read lists on
every request (GET lists, a list, the change feed): building and compiling
that queryset, with its three correlated subqueries, took 1.7 ms and 4.3 ms
of CPU (measured in-process, 200 runs), about as much as the rest of a feed
request; this query is a string. shown_to() stays the definition: a test
holds the two to the same answers (todos/tests/test_list_rows.py).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.utils.dateparse import parse_datetime

from todos.lists import Membership, TodoList


@dataclass
class ShownList:
    """What TodoListSerializer renders: a list as one member sees it."""

    list_id: int
    name: str
    color: str | None
    position: str
    is_default: bool
    archived: bool
    role: str
    owner_id: int
    owner_email: str
    owner_name: str
    member_count: int
    todo_count: int
    open_count: int
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int  # the owner's change number of its latest change

    @classmethod
    def of(cls, membership):
        """From a membership of Membership.objects.shown_to() (the ORM's way)."""
        todo_list = membership.list
        return cls(
            list_id=todo_list.pk,
            name=todo_list.name,
            color=todo_list.color,
            position=membership.position,
            is_default=todo_list.is_default,
            archived=todo_list.archived,
            role=membership.role,
            owner_id=todo_list.owner.pk,
            owner_email=todo_list.owner.email,
            owner_name=todo_list.owner.name,
            member_count=membership.member_count,
            todo_count=membership.todo_count,
            open_count=membership.open_count,
            created_at=todo_list.created_at,
            updated_at=todo_list.updated_at,
            version=max(todo_list.seq, membership.seq),
        )


def _sql(where, order, limit):
    quote = connection.ops.quote_name
    lists = quote(TodoList._meta.db_table)
    members = quote(Membership._meta.db_table)
    from django.contrib.auth import get_user_model

    from todos.ledger import TodoStat

    users = quote(get_user_model()._meta.db_table)
    stats = quote(TodoStat._meta.db_table)
    counts = (
        f"SELECT SUM(s.n) FROM {stats} s WHERE s.owner_id = l.owner_id "
        f"AND s.list_id = l.id AND s.dimension = 'priority'"
    )
    return (
        f"SELECT l.id, l.name, l.color, m.position, l.is_default, l.archived, "
        f"m.role, u.id, u.email, u.name, "
        f"(SELECT COUNT(*) FROM {members} mm WHERE mm.list_id = l.id), "
        f"COALESCE(({counts}), 0), "
        f"COALESCE(({counts} AND NOT s.completed), 0), "
        f"l.created_at, l.updated_at, "
        f"CASE WHEN l.seq > m.seq THEN l.seq ELSE m.seq END AS version "
        f"FROM {members} m "
        f"JOIN {lists} l ON l.id = m.list_id "
        f"JOIN {users} u ON u.id = l.owner_id "
        f"WHERE m.user_id = %s{where} ORDER BY {order}"
        + (" LIMIT %s OFFSET %s" if limit else "")
    )


def _datetime(value):
    if isinstance(value, str):  # SQLite
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def shown(user, where="", params=(), order=None, limit=None, offset=0):
    """
    The user's lists (ShownList), in their order unless `order`; `where`
    adds SQL conditions on `m` (membership) and `l` (list), with `params`.
    """
    order = order or "m.position, l.created_at, l.id"
    sql = _sql(where, order, limit)
    args = [user.pk, *params, *((limit, offset) if limit else ())]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        rows = cursor.fetchall()
    return [
        ShownList(
            list_id=row[0],
            name=row[1],
            color=row[2],
            position=row[3],
            is_default=bool(row[4]),
            archived=bool(row[5]),
            role=row[6],
            owner_id=row[7],
            owner_email=row[8],
            owner_name=row[9],
            member_count=row[10],
            todo_count=int(row[11]),
            open_count=int(row[12]),
            created_at=_datetime(row[13]),
            updated_at=_datetime(row[14]),
            version=row[15],
        )
        for row in rows
    ]


def shown_one(user, list_id):
    """The list `list_id` as the user sees it, or None if they cannot."""
    found = shown(user, " AND m.list_id = %s", [list_id])
    return found[0] if found else None


def _in(ids):
    return ", ".join(["%s"] * len(ids))


def changed_or_touched(user, windows, touched, limit):
    """
    For the change feed: the user's lists changed within their window
    (`windows`: {list id: (after, upto)}, change numbers of the list's
    owner; or one (after, upto) for all), oldest change first, at most
    `limit` of them; and those of `touched` (ids), whatever their version.
    """
    version = "(CASE WHEN l.seq > m.seq THEN l.seq ELSE m.seq END)"
    clauses, params = [], []
    if isinstance(windows, tuple):  # one window for all of them
        windows = {None: windows}
    for list_id, (after, upto) in sorted(windows.items(), key=lambda w: w[0] or 0):
        if list_id is None:
            clauses.append(f"({version} > %s AND {version} <= %s)")
            params += [after, upto]
            continue
        clauses.append(f"(m.list_id = %s AND {version} > %s AND {version} <= %s)")
        params += [list_id, after, upto]
    if touched:
        clauses.append(f"m.list_id IN ({_in(touched)})")
        params += sorted(touched)
    if not clauses:
        return []
    return shown(
        user,
        f" AND ({' OR '.join(clauses)})",
        params,
        order="version, l.id",
        limit=limit + len(touched),
    )


class ShownLists:
    """
    The user's lists as a sequence Django's Paginator can page: a count, and
    a slice read with LIMIT and OFFSET.
    """

    def __init__(self, user):
        self.user = user

    def count(self):
        # As hand-written as the page: the ORM built and compiled this one
        # COUNT on every request, 470 Python calls (`python -m bench.calls
        # --only lists`), for one index range. test_list_rows.py holds it to
        # the ORM's count.
        members = connection.ops.quote_name(Membership._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {members} WHERE user_id = %s", [self.user.pk]
            )
            return cursor.fetchone()[0]

    def __getitem__(self, page):
        start, stop = page.start or 0, page.stop
        return shown(self.user, limit=stop - start, offset=start)
