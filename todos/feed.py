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
import json
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from rest_framework.exceptions import ValidationError

from api.exceptions import Gone
from api.params import whole_number
from todos import list_rows
from todos.ledger import SyncState, Tombstone
from todos.list_rows import ShownList
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
    changes: list  # (seq, Todo, ShownList or Tombstone), oldest first
    cursor: str
    has_more: bool
    # Lists whose todos changed in the page, as they are now (their counts).
    current_lists: list


def change_page(user, cursor, limit):
    """
    The changes to what `user` sees after `cursor` (None: every current
    list and todo), at most `limit`: todos, their deletions, lists (a change
    of the list or of the user's place in it) and list deletions, in
    change-number order. Four queries, whatever the size of the page.
    """
    state = SyncState.objects.of(user)
    after = None if cursor is None else decode_cursor(cursor)
    if after is not None and not state.floor <= after <= state.seq:
        raise Gone(
            "This cursor is older than the deletions kept (or unknown): "
            "start again without a cursor."
        )
    since = 0 if after is None else after
    todos = Todo.objects.for_user(user).filter(seq__gt=since, seq__lte=state.seq)
    items = [(todo.seq, todo) for todo in todos.order_by("seq")[: limit + 1]]
    if after is not None:
        # A first sync (no cursor) is what is there now: there is nothing to
        # delete on a client that has nothing.
        graves = (
            Tombstone.objects.filter(owner=user, seq__gt=after, seq__lte=state.seq)
            .annotate(
                kept=Exists(Todo.objects.for_user(user).filter(pk=OuterRef("todo_id")))
            )
            .order_by("seq")
        )
        # A grave of a todo the user still sees (it moved between their own
        # lists) pages like any change but shows as none: the todo's upsert,
        # later in the feed, says where it went (feed_body).
        items += [(grave.seq, grave) for grave in graves[: limit + 1]]
    # Lists that changed, and (in the same query) those whose todos did:
    # their counts move with their todos.
    touched = {item.list_id for _, item in items}
    lists = list_rows.changed_or_touched(user, since, state.seq, touched, limit + 1)
    items += [
        (shown.version, shown) for shown in lists if since < shown.version <= state.seq
    ]
    items.sort(key=lambda item: item[0])
    has_more = len(items) > limit
    items = items[:limit]
    # Complete: everything up to the state read first has been handed over.
    last = items[-1][0] if has_more else state.seq
    in_page = {item.list_id for _, item in items if isinstance(item, ShownList)}
    in_page |= {
        item.todo_id
        for _, item in items
        if isinstance(item, Tombstone) and item.kind == "list"
    }
    touched = {item.list_id for _, item in items} - in_page
    return ChangePage(
        changes=items,
        cursor=encode_cursor(last),
        has_more=has_more,
        current_lists=[shown for shown in lists if shown.list_id in touched],
    )


def feed_body(user, params, render, render_lists):
    """
    The answer to GET todos/changes: a page of changes after the `cursor`
    parameter, the todos rendered by `render(todos)` and the lists by
    `render_lists(shown_lists)` (one call each per page). The page ends with
    the lists whose todos it changed, as they are now, so that a client
    holds their counts right.
    """
    page = change_page(user, params.get("cursor") or None, parse_limit(params))
    todos = [item for _, item in page.changes if isinstance(item, Todo)]
    shown = [item for _, item in page.changes if isinstance(item, ShownList)]
    rendered_todos = iter(render(todos))
    rendered_lists = iter(render_lists(shown + page.current_lists))
    changes = []
    for _, item in page.changes:
        if isinstance(item, Todo):
            body = next(rendered_todos)
            changes.append(
                {"type": "todo", "op": "upsert", "todo": body, "etag": todo_etag(item)}
            )
        elif isinstance(item, ShownList):
            changes.append(_list_upsert(next(rendered_lists)))
        elif not (item.kind == "todo" and item.kept):
            changes.append({"type": item.kind, "op": "delete", "id": item.todo_id})
    changes += [_list_upsert(body) for body in rendered_lists]
    return {"changes": changes, "cursor": page.cursor, "has_more": page.has_more}


def _list_upsert(body):
    return {"type": "list", "op": "upsert", "list": body, "etag": list_etag(body)}


def list_etag(body):
    """A list's ETag: its representation (counts and the caller's place too)."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


def parse_limit(params):
    return whole_number(params, "limit", default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
