"""
What offline-first clients sync with: ETags and conditional requests
(RFC 9110), and the change feed.

Every write to a user's todos takes the next number of the user's change
sequence (SyncState.advance, which also serialises the user's writes), so:
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

from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.exceptions import Gone, PreconditionFailed
from api.params import whole_number
from todos.ledger import SyncState, Tombstone
from todos.models import Todo

# Part of every collection ETag: bump it when a representation changes, so
# caches holding the old shape miss.
REPRESENTATION_VERSION = "1"

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


# --- ETags and conditional requests ------------------------------------------
# Django's get_conditional_response() implements these rules but answers with
# its own HTML-less 412; the comparisons are small enough to state here and
# answer 412 as a problem document.


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


def _strong(etags):
    return {etag for etag in etags if not etag.startswith("W/")}


def if_match_passes(header, etag):
    """Strong comparison (RFC 9110 13.1.1); an absent header passes."""
    if header is None:
        return True
    etags = parse_etags(header)
    return "*" in etags or etag in _strong(etags)


def require_if_match(request, etag):
    if not if_match_passes(request.headers.get("If-Match"), etag):
        raise PreconditionFailed()


def not_modified(request, etag):
    """A 304 answer if If-None-Match matches `etag` (weak comparison), else None."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return None
    etags = {tag.removeprefix("W/") for tag in parse_etags(header)}
    if "*" in etags or etag in etags:
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return None


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


def parse_limit(params):
    return whole_number(params, "limit", default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
