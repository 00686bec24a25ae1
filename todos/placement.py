"""
Where a todo sits: its list, its parent, its assignee and its position among
its siblings, and the rules each obeys. The serializer (create, PUT, PATCH,
bulk) and the move endpoint both check through here.
"""

import functools

from django.db import connection
from rest_framework.exceptions import PermissionDenied, ValidationError

from api.compiled import Plan
from todos import ordering
from todos.lists import ROLE_RANK, Membership, Role

# Levels of todos in all: a top-level todo and four levels of subtasks.
MAX_DEPTH = 5


def _invalid(field, message):
    return ValidationError({field: [message]})


# --- lists -------------------------------------------------------------------


def role_in(user, list_id):
    """
    The user's role in list `list_id` and the list's owner, or (None, None)
    if they cannot see it.
    """
    found = (
        Membership.objects.filter(list_id=list_id, user=user)
        .values_list("role", "list__owner_id")
        .first()
    )
    return found or (None, None)


def require_writable(user, list_id, field="list"):
    """
    A list the user may write todos in; returns its owner. One they cannot
    see is a 400 naming `field` that says the same as for a list that does
    not exist.
    """
    role, owner_id = role_in(user, list_id)
    if role is None:
        raise _invalid(field, "No list with this id.")
    if ROLE_RANK[role] < ROLE_RANK[Role.EDITOR]:
        raise PermissionDenied("Viewers of this list cannot change its todos.")
    return owner_id


def require_editor(user, todo):
    """That `user` may change `todo` (a todo they see): an editor of its list."""
    if todo.owner_id == user.pk:
        return  # their own list: they are its owner
    role, _ = role_in(user, todo.list_id)
    if role is None or ROLE_RANK[role] < ROLE_RANK[Role.EDITOR]:
        raise PermissionDenied("Viewers of this list cannot change its todos.")


def require_member(list_id, user_id, field="assignee_id"):
    if not Membership.objects.filter(list_id=list_id, user_id=user_id).exists():
        raise _invalid(field, "Must be a member of the todo's list.")


# --- parents -----------------------------------------------------------------


def _todo_table():
    from todos.models import Todo

    return connection.ops.quote_name(Todo._meta.db_table)


def ancestry(todo_id):
    """`todo_id` and its ancestors, nearest first: [(id, list_id), ...]."""
    table = _todo_table()
    sql = f"""
        WITH RECURSIVE chain(id, parent_id, list_id, depth) AS (
            SELECT id, parent_id, list_id, 1 FROM {table} WHERE id = %s
            UNION ALL
            SELECT t.id, t.parent_id, t.list_id, chain.depth + 1
            FROM {table} t JOIN chain ON t.id = chain.parent_id
            WHERE chain.depth <= %s
        )
        SELECT id, list_id FROM chain ORDER BY depth
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [todo_id, MAX_DEPTH])
        return cursor.fetchall()


def height(todo_id):
    """Levels of `todo_id`'s subtree: 1 for a todo without subtasks."""
    table = _todo_table()
    sql = f"""
        WITH RECURSIVE below(id, depth) AS (
            SELECT id, 1 FROM {table} WHERE id = %s
            UNION ALL
            SELECT t.id, below.depth + 1 FROM {table} t
            JOIN below ON t.parent_id = below.id
            WHERE below.depth <= %s
        )
        SELECT MAX(depth) FROM below
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [todo_id, MAX_DEPTH])
        return cursor.fetchone()[0] or 1


def check_parent(todos, todo, parent_id, list_id, field="parent"):
    """
    That `parent_id` may be the parent of `todo` (None: a new todo) in list
    `list_id`: a todo the caller sees (`todos`, their scoped queryset), in
    the same list, not `todo` or one of its subtasks, and no deeper than
    MAX_DEPTH levels with `todo`'s own subtasks.
    """
    if not todos.filter(pk=parent_id).exists():
        raise _invalid(field, "No todo with this id.")
    chain = ancestry(parent_id)
    if chain[0][1] != list_id:
        raise _invalid(field, "Must be a todo in the same list.")
    if todo is not None and any(pk == todo.pk for pk, _ in chain):
        raise _invalid(field, "A todo cannot be a subtask of itself or its subtasks.")
    levels = len(chain) + (height(todo.pk) if todo is not None else 1)
    if levels > MAX_DEPTH:
        raise _invalid(field, f"Subtasks nest at most {MAX_DEPTH} levels deep.")


# --- the place of a todo ------------------------------------------------------


def check_place(user, todo, attrs):
    """
    Check, and complete, where a todo being created (`todo` None) or
    changed goes, from its validated fields `attrs`: its list (the caller's
    default list unless given), its parent and its assignee.
    """
    from todos.ledger import SyncState
    from todos.models import Todo

    moving = "list_id" in attrs and (todo is None or attrs["list_id"] != todo.list_id)
    if moving:
        # A todo's owner is its list's: one moved to a list of someone
        # else's goes to their books (todos.ledger).
        attrs["owner_id"] = require_writable(user, attrs["list_id"])
    elif todo is None:
        attrs["list_id"] = SyncState.objects.of(user).inbox_id
        attrs["owner_id"] = user.pk
    list_id = attrs["list_id"] if "list_id" in attrs else todo.list_id
    if moving and todo is not None and "parent_id" not in attrs:
        attrs["parent_id"] = None  # a subtask moved alone is top-level there
    parent_id = attrs.get("parent_id")
    if parent_id is not None and (
        moving or todo is None or parent_id != todo.parent_id
    ):
        check_parent(Todo.objects.for_user(user), todo, parent_id, list_id)
    if "assignee_id" in attrs:
        assignee_id = attrs["assignee_id"]
        unchanged = todo is not None and assignee_id == todo.assignee_id
        if assignee_id is not None and (moving or not unchanged):
            require_member(list_id, assignee_id)
    elif moving and todo is not None and todo.assignee_id is not None:
        if not Membership.objects.filter(
            list_id=list_id, user_id=todo.assignee_id
        ).exists():
            attrs["assignee_id"] = None  # not a member where it goes


def move_subtasks(book, todo):
    """After `todo` moved to another list: its subtasks, to the same list."""
    rows = book._descendants(type(todo), [todo.pk])
    members = set(
        Membership.objects.filter(list_id=todo.list_id).values_list(
            "user_id", flat=True
        )
    )
    subtasks = type(todo).objects.filter(pk__in=[row["pk"] for row in rows])
    for subtask in subtasks:
        subtask.list_id, subtask.owner_id = todo.list_id, todo.owner_id
        if subtask.assignee_id not in members:
            subtask.assignee_id = None
        book.save(subtask)


def move(book, user, todo, place):
    """
    Move `todo` right after sibling `place["after"]` (None: first), under
    `place`'s list and parent if given (as POST todos/{id}/move and bulk's
    move take them), in `book`: one change, and its subtasks along if it
    changes list.
    """
    from todos.models import Todo

    place = dict(place)
    after_id = place.pop("after")
    check_place(user, todo, place)
    list_id = place.get("list_id", todo.list_id)
    parent_id = place.get("parent_id", todo.parent_id)
    after = None
    if after_id is not None:
        # The todo by id as the caller sees it (a query compiled once).
        after = Todo.objects.seen_one(user, after_id)
        if (
            after is None
            or after.pk == todo.pk
            or (after.list_id, after.parent_id) != (list_id, parent_id)
        ):
            raise _invalid(
                "after", "Must be another todo under the same list and parent."
            )
    moved_list = list_id != todo.list_id
    todo.list_id, todo.parent_id = list_id, parent_id
    todo.owner_id = place.get("owner_id", todo.owner_id)
    if "assignee_id" in place:
        todo.assignee_id = place["assignee_id"]
    todo.position = position_after(book, Todo, list_id, parent_id, after, moving=todo)
    book.save(todo)
    if moved_list:
        move_subtasks(book, todo)
    return todo


# --- positions ---------------------------------------------------------------


def position_after(book, model, list_id, parent_id, after, moving=None):
    """
    A position right after sibling `after` (None: first) under `parent_id`
    in `list_id`, for `moving` (a todo already there, left out). Writes go
    in `book`, which holds the lock the siblings' order depends on.
    """
    before = after.position if after is not None else None
    shape = (parent_id is not None, moving is not None, bool(before))
    following = _following(model, model._base_manager.db, *shape).fetch(
        list_id, parent_id, moving and moving.pk, before, high=1
    )
    key = ordering.between(before, following[0][0] if following else None)
    if ordering.fits(key):
        return key
    siblings = model._base_manager.filter(list_id=list_id, parent_id=parent_id)
    if moving is not None:
        siblings = siblings.exclude(pk=moving.pk)
    return _respace(book, siblings, after)


@functools.cache
def _following(model, alias, under_parent, leaving_out, after_one):
    """
    The positions of the siblings in list arg(0) under parent arg(1) (or
    none), leaving out todo arg(2), after position text(3), in order: a
    query compiled once per shape (api.compiled), where the ORM took ~1,500
    Python calls, a quarter of a move's (`python -m bench.calls --only
    move`).
    """
    siblings = model._base_manager.using(alias).filter(
        list_id=Plan.arg(0), parent_id=Plan.arg(1) if under_parent else None
    )
    if leaving_out:
        siblings = siblings.exclude(pk=Plan.arg(2))
    if after_one:
        siblings = siblings.filter(position__gt=Plan.text(3))
    return Plan(siblings.order_by("position").values_list("position"))


def _respace(book, siblings, after):
    """The siblings respaced (ordering.respaced), each a change in the feed."""
    rows = list(siblings.order_by("position", "pk"))
    free = ordering.respaced(rows, after)
    for row in rows:
        book.save(row, update_fields=["position"])
    return free
