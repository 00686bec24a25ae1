"""
What offline-first clients sync with, from the change numbers: ETags, and
the change feed (the conditional requests they enable: api.conditional).

Every write to a user's todos takes the next number of the user's change
sequence (todos.ledger, which also serialises the user's writes), so:
- a todo's ETag is its id, its owner and the number of its latest change;
- a list's or the stats' ETag derives from the user's latest change number;
- the change feed returns todos and tombstones in change-number order,
  bounded by the latest number committed when the page is read, so a change
  committed meanwhile can only appear on a later page, never be skipped.
"""

import base64
import binascii
import functools
import hashlib
import json
from dataclasses import dataclass

from django.core import signing
from django.db.models import Exists, OuterRef, Q
from rest_framework.exceptions import ValidationError

from api.compiled import Plan
from api.exceptions import Gone
from api.params import whole_number
from todos import access, list_rows
from todos.ledger import SyncState, Tombstone
from todos.list_rows import ShownList
from todos.lists import Membership, TodoList
from todos.models import Todo

# Part of every collection ETag: bump it when a representation changes, so
# caches holding the old shape miss.
REPRESENTATION_VERSION = "1"

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


# --- versions ----------------------------------------------------------------


def todo_etag(todo):
    # Change numbers are per owner, and a todo can change owner (it moves
    # to a list of someone else's): the owner makes the version unique.
    fields = todo.__dict__
    return f'"{todo.pk}.{fields["owner_id"]}.{todo.seq}"'


def seen_version(user):
    """
    The version of everything `user` sees: their latest change number and,
    if lists of others are shared with them, each owner's. Any write anyone
    makes to what they see (a todo, a list, a membership) takes one of those
    numbers. Known from the session if nothing is shared with them; else one
    small indexed query.
    """
    state = SyncState.objects.of(user)
    if not access.shares(user):
        return str(state.seq)
    seqs = _owners_seqs(SyncState.objects.db).fetch(user.pk)
    return ",".join(f"{pk}:{seq}" for pk, seq in seqs)


@functools.cache
def _owners_seqs(alias):
    """
    The change numbers of the owners of the lists of a user (Plan.arg(0)),
    a query compiled once (api.compiled): the ORM took ~1,500 Python calls
    building it on every read of a member of shared lists.
    """
    owners = TodoList.objects.filter(memberships__user=Plan.arg(0)).values("owner_id")
    seqs = SyncState.objects.using(alias).filter(user_id__in=owners)
    return Plan(seqs.order_by("user_id").values_list("user_id", "seq"))


def collection_etag(request):
    """An ETag for a list or stats answer: what the user sees, and the query."""
    user = request.user
    parts = [
        REPRESENTATION_VERSION,
        str(user.pk),
        seen_version(user),
        # "Today" (overdue, due today) moves even when nothing is written.
        user.today().isoformat(),
        request.get_host(),
        request.get_full_path(),
    ]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


# --- the change feed ---------------------------------------------------------
#
# A user sees lists of several owners, and each owner numbers the changes to
# their lists and todos in their own sequence (todos.ledger). So a cursor
# says, for each list the client holds, how far it holds it in its owner's
# numbers: `upto` (it has every change of the list up to there) and
# `graves_from` (deletions before it concern no todo it ever had: for a list
# first handed over in full, the owner's number when that began). A list the
# client holds and no longer sees (it left, was removed, the list went, or
# it changed owner) is handed back as deletions: of each todo it had, then
# of the list. The cursor is signed: it names lists, and only the server
# says which.

CURSOR_SALT = "todos.feed.cursor"
# Far more than a user with a thousand lists needs; past it, not ours.
MAX_CURSOR_LENGTH = 16_000


@dataclass
class Held:
    """How far a client holds one list, in its owner's change numbers."""

    owner: int
    upto: int
    graves_from: int
    # While the list is being handed back: the todo ids done so far.
    gone_after: int | None = None

    def row(self):
        values = [self.owner, self.upto, self.graves_from]
        return values + ([] if self.gone_after is None else [self.gone_after])


def encode_cursor(user, held, going):
    """
    A signed cursor for `user`: lists held alike (one owner, one point: a
    user's own lists, usually) are one group, so that it stays short; and a
    user who sees only their own lists, all at one point, has that point
    alone (the own-lists page reads from it: _own_page()).
    """
    groups = {}
    for pk, entry in sorted(held.items()):
        groups.setdefault(tuple(entry.row()), []).append(pk)
    if not going and len(groups) == 1 and not access.shares(user):
        ((owner, upto, graves_from),) = groups
        if owner == user.pk:
            return _own_cursor(user, upto, graves_from)
    payload = {
        "u": user.pk,
        "h": [[*row, pks] for row, pks in groups.items()],
        "g": [[pk, *entry.row()] for pk, entry in sorted(going.items())],
    }
    return signing.dumps(payload, salt=CURSOR_SALT, compress=True)


def _own_cursor(user, upto, graves_from):
    payload = {"u": user.pk, "o": [upto, graves_from]}
    return signing.dumps(payload, salt=CURSOR_SALT)


def legacy_cursor(seq):
    """A cursor as issued before shared lists: the user's own change number."""
    return base64.urlsafe_b64encode(f"v1.{seq}".encode()).decode().rstrip("=")


def _not_a_cursor():
    return ValidationError(
        {"cursor": ["Not a cursor this API issued; start again without one."]}
    )


def decode_cursor(user, cursor):
    """
    (own, held, going) from a cursor of this API for `user`: either `own`,
    (upto, graves from) of all of their own lists, or `held` and `going`,
    {list id: Held}.
    """
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _not_a_cursor()
    try:
        payload = signing.loads(cursor, salt=CURSOR_SALT)
    except signing.BadSignature:
        # A cursor of before shared lists ("v1.<n>": every change of the
        # user's own up to n) holds their own lists as of n.
        return (_from_legacy(cursor),) * 2, {}, {}
    if payload.get("u") != user.pk:
        raise _not_a_cursor()
    if "o" in payload:
        return tuple(payload["o"]), {}, {}
    held = {pk: Held(*row[:-1]) for row in payload["h"] for pk in row[-1]}
    going = {row[0]: Held(*row[1:]) for row in payload["g"]}
    return None, held, going


def _from_legacy(cursor):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, number = raw.split(".")
        if version != "v1" or not number.isascii() or not number.isdigit():
            raise ValueError(raw)
        return int(number[:19])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _not_a_cursor() from None


def cursor_as_of(user, seq):
    """A cursor of a client holding all of `user`'s own lists as of `seq`."""
    return _own_cursor(user, seq, seq)


def _own_lists_as_of(user, upto, graves_from):
    """
    `own` as held lists: each of the user's lists now, and those they had
    since (deleted, or handed to another owner) as being handed back.
    """
    own = TodoList.objects.filter(owner=user).values_list("pk", flat=True)
    held = {pk: Held(user.pk, upto, graves_from) for pk in own}
    left = Tombstone.objects.filter(owner=user, kind="list", seq__gt=graves_from)
    going = {
        pk: Held(user.pk, upto, graves_from, 0)
        for pk in left.values_list("todo_id", flat=True)
    }
    return held, going


@dataclass
class ChangePage:
    changes: list  # (key, Todo, ShownList, Tombstone or Departure), in order
    cursor: str
    has_more: bool
    # Lists whose todos changed in the page, as they are now (their counts).
    current_lists: list


@dataclass
class Departure:
    """A deletion handed back for a list the client no longer sees."""

    kind: str  # "todo" or "list"
    id: int
    list_id: int


def change_page(user, cursor, limit):
    """
    The changes to what `user` sees after `cursor` (None: every list and
    todo they see now), at most `limit`: first what they no longer see, as
    deletions; then todos, their deletions, lists (a change of the list or of
    the user's place in it), in the order of their owners' change numbers.
    A fixed number of queries, whatever the page's size and the lists'.
    """
    own, held, going = (None, {}, {}) if cursor is None else decode_cursor(user, cursor)
    if not access.shares(user) and not held and not going:
        return _own_page(user, own, limit)
    if own is not None:  # shares lists since: their own, one by one
        held, going = _own_lists_as_of(user, *own)
    # The lists the user sees and their owners' latest change numbers, in
    # one statement: one consistent reading, which bounds the page.
    seen = {
        list_id: (owner_id, seq, floor)
        for list_id, owner_id, seq, floor in Membership.objects.filter(
            user=user
        ).values_list(
            "list_id",
            "list__owner_id",
            "list__owner__syncstate__seq",
            "list__owner__syncstate__floor",
        )
    }
    for list_id, entry in list(held.items()):
        if list_id not in seen or seen[list_id][0] != entry.owner:
            going[list_id] = Held(entry.owner, entry.upto, entry.graves_from, 0)
            del held[list_id]
    _check_floors(user, held, going, seen)

    changes, going = _departures(user, going, limit)
    if going or len(changes) >= limit:  # more to hand back first, or no room
        cursor = encode_cursor(user, held, going)
        return ChangePage(changes, cursor, has_more=True, current_lists=[])

    windows = {}  # list id: (owner, after, graves after, upto)
    for list_id, (owner_id, seq, _) in seen.items():
        entry = held.get(list_id) or Held(owner_id, 0, seq)  # new to the client
        windows[list_id] = (owner_id, entry.upto, entry.graves_from, seq)
    room = limit - len(changes)
    items, lists = _stream(user, windows, room, continuing=set(held))
    has_more = len(items) > room
    items = items[:room]
    last = items[-1][0] if has_more else None
    new_held = {}
    for list_id, (owner_id, after, graves_from, upto) in windows.items():
        reached = upto if last is None else _reached(list_id, last, after, upto)
        new_held[list_id] = Held(owner_id, reached, max(graves_from, reached))
    in_page = {item.list_id for _, item in items if isinstance(item, ShownList)}
    touched = {item.list_id for _, item in items if not isinstance(item, ShownList)}
    return ChangePage(
        changes=changes + items,
        cursor=encode_cursor(user, new_held, {}),
        has_more=has_more,
        current_lists=[shown for shown in lists if shown.list_id in touched - in_page],
    )


def _own_page(user, own, limit):
    """
    change_page() for a user who sees only their own lists: one range of
    their change numbers, bounded by their sync state (which came with the
    session), the graves of their deleted lists among its tombstones. The
    queries and the cursor of the general case, less the look-up of the
    lists seen and of their owners.
    """
    state = SyncState.objects.of(user)
    upto, graves_from = own if own is not None else (0, state.seq)
    if graves_from < state.floor or upto > state.seq:
        raise _gone()
    items = []
    todos = Todo.objects.own_changed(user, upto, state.seq, limit + 1)
    items += [(todo.seq, todo) for todo in todos]
    if graves_from < state.seq:
        graves = _own_graves(Tombstone.objects.db).fetch(
            user.pk, graves_from, state.seq, high=limit + 1
        )
        items += [(grave.seq, grave) for grave in graves]
    touched = {item.list_id for _, item in items}
    lists = list_rows.changed_or_touched(user, (upto, state.seq), touched, limit + 1)
    items += [(shown.version, shown) for shown in lists if upto < shown.version]
    # One owner: a change number is one item, so a page ends at a number.
    items.sort(key=lambda item: item[0])
    has_more = len(items) > limit
    items = items[:limit]
    reached = items[-1][0] if has_more else state.seq
    in_page = {item.list_id for _, item in items if isinstance(item, ShownList)}
    touched = {item.list_id for _, item in items} - in_page
    return ChangePage(
        changes=[((seq, 0), item) for seq, item in items],
        cursor=_own_cursor(user, reached, max(graves_from, reached)),
        has_more=has_more,
        current_lists=[shown for shown in lists if shown.list_id in touched],
    )


@functools.cache
def _own_graves(alias):
    """
    The tombstones of a user (Plan.arg(0)) after change number arg(1) up to
    arg(2), each knowing whether its todo is still theirs (`kept`: it moved
    to another of their lists), a query compiled once (api.compiled): the
    ORM took ~2,400 of a feed page's 7,000 Python calls building it.
    """
    kept = Todo.objects.filter(owner_id=Plan.arg(0), pk=OuterRef("todo_id"))
    return Plan(
        Tombstone.objects.using(alias)
        .filter(owner_id=Plan.arg(0), seq__gt=Plan.arg(1), seq__lte=Plan.arg(2))
        .annotate(kept=Exists(kept))
        .order_by("seq")
    )


def _reached(list_id, last, after, upto):
    """
    How far a page that ends at item key `last` hands over list `list_id`:
    its items are in key order (change number, list id), so all of the
    list's up to the last key's number are in it, and the one at that
    number only if the list sorts no later.
    """
    seq, last_list = last[0], last[1]
    reached = seq if list_id <= last_list else seq - 1
    return min(upto, max(after, reached))


def _check_floors(user, held, going, seen):
    """
    A 410 for a cursor that needs deletions no longer kept (pruned past the
    owner's floor) or from a future it cannot have seen.
    """
    floors = {owner_id: (seq, floor) for owner_id, seq, floor in seen.values()}
    others = {entry.owner for entry in going.values()} - floors.keys()
    if others:
        floors.update(
            {
                owner_id: (seq, floor)
                for owner_id, seq, floor in SyncState.objects.filter(
                    user_id__in=others
                ).values_list("user_id", "seq", "floor")
            }
        )
    gone_owners = others - floors.keys()
    if gone_owners:
        # A deleted account's lists: their deletions are kept with the list's
        # own tombstone until prune takes both.
        kept = set(
            Tombstone.objects.filter(
                kind="list", todo_id__in=list(going), owner_id__in=gone_owners
            ).values_list("todo_id", flat=True)
        )
        if any(pk not in kept for pk, e in going.items() if e.owner in gone_owners):
            raise _gone()
    for entry in [*held.values(), *going.values()]:
        if entry.owner not in floors:
            continue
        seq, floor = floors[entry.owner]
        if entry.graves_from < floor or entry.upto > seq:
            raise _gone()


def _gone():
    return Gone(
        "This cursor is older than the deletions kept (or unknown): "
        "start again without a cursor."
    )


def _departures(user, going, limit):
    """
    Deletions for lists the client no longer sees (`going`): every todo
    it may hold of each (those in the list now, and those deleted from it
    or moved out since it last synced), but those it still sees elsewhere;
    then the list itself. At most `limit`; returns them and what is left.
    """
    if not going:
        return [], {}
    seen_lists = set(
        Membership.objects.filter(user=user).values_list("list_id", flat=True)
    )
    now_in = Q()
    graves = Q()
    for list_id, entry in going.items():
        if list_id not in seen_lists:
            now_in |= Q(list_id=list_id, pk__gt=entry.gone_after)
        graves |= Q(
            owner_id=entry.owner,
            list_id=list_id,
            kind="todo",
            seq__gt=entry.graves_from,
            todo_id__gt=entry.gone_after,
        )
    ids = Tombstone.objects.filter(graves).order_by().values_list("list_id", "todo_id")
    if now_in:
        in_list = Todo._base_manager.filter(now_in).order_by()
        ids = ids.union(in_list.values_list("list_id", "pk"))
    ids = list(ids.order_by("list_id", "todo_id")[: limit + 1])
    cut = len(ids) > limit
    ids = ids[:limit]
    still_seen = set(
        Todo.objects.for_user(user)
        .filter(pk__in=[pk for _, pk in ids])
        .values_list("pk", flat=True)
    )
    changes = [
        ((0, list_id), Departure("todo", pk, list_id))
        for list_id, pk in ids
        if pk not in still_seen
    ]
    left = {}
    last_list, last_id = ids[-1] if cut else (None, None)
    for list_id, entry in sorted(going.items()):
        if cut and list_id > last_list:
            left[list_id] = entry
        elif cut and list_id == last_list:
            left[list_id] = Held(entry.owner, entry.upto, entry.graves_from, last_id)
        elif list_id not in seen_lists:
            changes.append(((0, list_id), Departure("list", list_id, list_id)))
    return changes, left


def _stream(user, windows, room, continuing):
    """
    The todos, deletions and lists of the windows ({list id: (owner, after,
    graves after, upto)}), in key order (change number, list id), at most
    `room` + 1: the todos, the tombstones and the lists each one query.
    """
    # Lists of one owner at one point are one range of the owner's numbers:
    # the owner index serves it, and a user's own lists are usually one.
    groups = {}
    for list_id, (owner_id, after, graves_from, upto) in windows.items():
        groups.setdefault((owner_id, after, graves_from, upto), []).append(list_id)
    todos_in, graves_in = Q(), Q()
    for (owner_id, after, graves_from, upto), list_ids in groups.items():
        if after < upto:
            todos_in |= Q(
                owner_id=owner_id, seq__gt=after, seq__lte=upto, list_id__in=list_ids
            )
        if graves_from < upto:
            graves_in |= Q(
                owner_id=owner_id,
                seq__gt=graves_from,
                seq__lte=upto,
                list_id__in=list_ids,
            )
    items = []
    if todos_in:
        todos = Todo.objects.filter(todos_in).order_by("seq", "list_id")[: room + 1]
        items += [((todo.seq, todo.list_id), todo) for todo in todos]
    if graves_in:
        graves = (
            Tombstone.objects.filter(graves_in, kind="todo")
            .annotate(
                kept=Exists(Todo.objects.for_user(user).filter(pk=OuterRef("todo_id")))
            )
            .order_by("seq", "list_id")[: room + 1]
        )
        for grave in graves:
            # A todo that moved to a list the client goes on holding: that
            # list's own changes say what became of it (its change there, or
            # its deletion), so this is none.
            grave.kept = grave.kept or grave.moved_to in continuing
            items.append(((grave.seq, grave.list_id), grave))
    # Lists that changed, and (in the same query) those whose todos did:
    # their counts move with their todos.
    changed = {
        list_id: (after, upto)
        for list_id, (_, after, _, upto) in windows.items()
        if after < upto
    }
    touched = {item.list_id for _, item in items}
    lists = list_rows.changed_or_touched(user, changed, touched, room + 1)
    items += [
        ((shown.version, shown.list_id), shown)
        for shown in lists
        if shown.list_id in changed
        and changed[shown.list_id][0] < shown.version <= changed[shown.list_id][1]
    ]
    items.sort(key=lambda item: item[0])
    return items, lists


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
        elif isinstance(item, Departure):
            changes.append({"type": item.kind, "op": "delete", "id": item.id})
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
