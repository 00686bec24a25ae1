"""
What offline-first clients sync with, from the change numbers: ETags, and
the change feed (the conditional requests they enable: api.conditional).

Every write to a user's todos takes the next number of the user's change
sequence (todos.ledger, which also serialises the user's writes), so:
- a todo's ETag is its id and the number of its latest change;
- a list's or the stats' ETag derives from the user's latest change number;
- the change feed returns todos and tombstones in change-number order,
  bounded by the latest number committed when the page is read, so a change
  committed meanwhile can only appear on a later page, never be skipped.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass

from rest_framework.exceptions import ValidationError

from api.exceptions import Gone
from api.params import whole_number
from todos.ledger import SyncState, Tombstone
from todos.models import Todo

# Part of every collection ETag: bump it when a representation changes, so
# caches holding the old shape miss.
REPRESENTATION_VERSION = "1"

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


# --- versions ----------------------------------------------------------------


def todo_etag(todo):
    return f'"{todo.pk}.{todo.seq}"'


def collection_etag(request, seq):
    """An ETag for a list or stats answer: the user's state and the query."""
    user = request.user
    parts = [
        REPRESENTATION_VERSION,
        str(user.pk),
        str(seq),
        # "Today" (overdue, due today) moves even when nothing is written.
        user.today().isoformat(),
        request.get_host(),
        request.get_full_path(),
    ]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


# --- the change feed ---------------------------------------------------------


def encode_cursor(seq):
    return base64.urlsafe_b64encode(f"v1.{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, number = raw.split(".")
        if version != "v1" or not number.isascii() or not number.isdigit():
            raise ValueError(raw)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError(
            {"cursor": ["Not a cursor this API issued; start again without one."]}
        ) from None


@dataclass
class ChangePage:
    changes: list  # (seq, Todo or Tombstone), oldest first
    cursor: str
    has_more: bool


def change_page(user, cursor, limit):
    """
    The changes to `user`'s todos after `cursor` (None: every current todo),
    at most `limit`. Three queries, whatever the size of the page.
    """
    state = SyncState.objects.of(user)
    after = None if cursor is None else decode_cursor(cursor)
    if after is not None and not state.floor <= after <= state.seq:
        raise Gone(
            "This cursor is older than the deletions kept (or unknown): "
            "start again without a cursor."
        )
    todos = Todo.objects.for_user(user).filter(seq__lte=state.seq).order_by("seq")
    if after is not None:
        todos = todos.filter(seq__gt=after)
    items = [(todo.seq, todo) for todo in todos[: limit + 1]]
    if after is not None:
        # A first sync (no cursor) is the current todos alone: there is
        # nothing to delete on a client that has none.
        graves = Tombstone.objects.filter(
            owner=user, seq__gt=after, seq__lte=state.seq
        ).order_by("seq")
        items += [(grave.seq, grave) for grave in graves[: limit + 1]]
    items.sort(key=lambda item: item[0])
    has_more = len(items) > limit
    items = items[:limit]
    # Complete: everything up to the state read first has been handed over.
    last = items[-1][0] if has_more else state.seq
    return ChangePage(changes=items, cursor=encode_cursor(last), has_more=has_more)


def feed_body(user, params, render):
    """
    The answer to GET todos/changes: a page of changes after the `cursor`
    parameter, the todos rendered by `render(todos)` (one call per page).
    """
    page = change_page(user, params.get("cursor") or None, parse_limit(params))
    upserts = [item for _, item in page.changes if isinstance(item, Todo)]
    rendered = iter(render(upserts))
    changes = [
        {"op": "upsert", "todo": next(rendered), "etag": todo_etag(item)}
        if isinstance(item, Todo)
        else {"op": "delete", "id": item.todo_id}
        for _, item in page.changes
    ]
    return {"changes": changes, "cursor": page.cursor, "has_more": page.has_more}


def parse_limit(params):
    return whole_number(params, "limit", default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
