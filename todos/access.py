"""
Who sees what: a user sees the lists they are a member of (their own and
those shared with them) and the todos in those lists; nothing else exists
for them (a 404, never a 403). The one home of that rule for every table
that holds rows per list: todos, their stats summary, their tombstones.

A user who is a member of no one else's lists (SyncState.shared is 0, known
from the session at no query) sees exactly what they own, and the owner's
indexes serve the query; otherwise the rows are those of their lists.
"""

from todos.ledger import SyncState
from todos.lists import Membership, TodoList


def shares(user):
    """Whether `user` is a member of someone else's list."""
    return SyncState.objects.of(user).shared > 0


def member_list_ids(user):
    """A subquery of the ids of the lists `user` (or an id) is a member of."""
    return Membership.objects.filter(user=user).values("list_id")


def seen_by(queryset, user, list_field="list"):
    """The rows of `queryset` (with `owner` and `list_field`) `user` sees."""
    return seen_by_id(queryset, user.pk, shares(user), list_field)


def seen_by_id(queryset, user_id, shares, list_field="list"):
    """seen_by() for a user known by id and whether they share (api.compiled)."""
    if not shares:
        return queryset.filter(owner_id=user_id)
    return queryset.filter(**{f"{list_field}__in": member_list_ids(user_id)})


def owners_of_lists(user, list_ids):
    """The owners of those of the lists `list_ids` that `user` sees."""
    ids = {_as_id(pk) for pk in list_ids} - {None}
    if not ids:
        return set()
    if not shares(user):
        return {user.pk}
    return set(
        TodoList.objects.filter(pk__in=ids, memberships__user=user).values_list(
            "owner_id", flat=True
        )
    )


def owners_of_todos(user, todo_ids):
    """The owners of those of the todos `todo_ids` that `user` sees."""
    from todos.models import Todo

    ids = {_as_id(pk) for pk in todo_ids} - {None}
    if not ids or not shares(user):
        return {user.pk} if ids else set()
    todos = Todo.objects.for_user(user).filter(pk__in=ids)
    return set(todos.values_list("owner_id", flat=True))


def _as_id(value):
    # An id as a client sent it, before validation (which has the last
    # word): only what could be one is looked up.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value) if len(value) <= 18 else None
    if type(value) is int and 0 < value < 2**63:
        return value
    return None
