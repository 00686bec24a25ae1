"""
`POST todos/bulk`: many creates, updates and deletes in one request.

Each operation follows the rules of its single-todo endpoint (the same
serializer, the same owner scoping, the same If-Match check). The batch holds
one ledger Book (todos.ledger): the user's write lock, with one change
number per operation reserved up front; the todos it names are read in one
query. So an operation costs only its own writes.
"""

from django.db import transaction
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from api.conditional import if_match_passes
from api.exceptions import PreconditionFailed, api_exception_handler, problem
from todos import access, ledger, placement
from todos.feed import todo_etag
from todos.models import Todo
from todos.serializers import TodoSerializer

NOT_APPLIED = status.HTTP_424_FAILED_DEPENDENCY


def _error(exc):
    """A problem document for `exc`, as the single-todo endpoint would send."""
    return api_exception_handler(exc, {}).data


def _failed(status_code, error):
    return {"outcome": "failed", "status": status_code, "error": error}


class Batch:
    def __init__(self, request, operations):
        self.request = request
        self.user = request.user
        self.operations = operations

    def run(self, atomic):
        changes = len(self.operations)
        ids = {op["id"] for op in self.operations if "id" in op}
        # Every owner whose books the batch may write, locked in order up
        # front: those of its todos and of the lists it names.
        named = [
            op.get("list_id", op.get("data", {}).get("list")) for op in self.operations
        ]
        also = access.owners_of_todos(self.user, ids) | access.owners_of_lists(
            self.user, named
        )
        with ledger.writing(self.user.pk, changes=changes, also=also) as self.book:
            self.book.knows(self.user)
            self.todos = {
                todo.pk: todo
                for todo in Todo.objects.for_user(self.user).filter(pk__in=ids)
            }
            results = [self._apply(op) for op in self.operations]
            failed = [
                index for index, result in enumerate(results) if result["status"] >= 400
            ]
            if atomic and failed:
                transaction.set_rollback(True)
                return [
                    result if index in failed else self._not_applied(failed)
                    for index, result in enumerate(results)
                ]
        return results

    def _apply(self, op):
        try:
            return getattr(self, f"_{op['op']}")(op)
        except (ValidationError, PermissionDenied, NotFound, PreconditionFailed) as exc:
            return _failed(exc.status_code, _error(exc))

    def _serializer(self, *args, **kwargs):
        context = {"request": self.request, "book": self.book}
        return TodoSerializer(*args, context=context, **kwargs)

    def _existing(self, op):
        todo = self.todos.get(op["id"])
        if todo is None:
            raise NotFound("No Todo matches the given query.")
        placement.require_editor(self.user, todo)
        if not if_match_passes(op.get("if_match"), todo_etag(todo)):
            raise PreconditionFailed()
        return todo

    def _saved(self, serializer, status_code):
        serializer.is_valid(raise_exception=True)
        made_by = {} if serializer.instance else {"created_by_id": self.user.pk}
        todo = serializer.save(**made_by)
        return {
            "outcome": "saved",
            "status": status_code,
            "todo": serializer.data,
            "etag": todo_etag(todo),
        }

    def _create(self, op):
        return self._saved(self._serializer(data=op["data"]), status.HTTP_201_CREATED)

    def _update(self, op):
        todo = self._existing(op)
        serializer = self._serializer(todo, data=op["data"], partial=True)
        return self._saved(serializer, status.HTTP_200_OK)

    def _move(self, op):
        todo = self._existing(op)
        place = {key: op[key] for key in ("list_id", "parent_id", "after") if key in op}
        placement.move(self.book, self.user, todo, place)
        return {
            "outcome": "saved",
            "status": status.HTTP_200_OK,
            "todo": self._serializer(todo).data,
            "etag": todo_etag(todo),
        }

    def _delete(self, op):
        todo = self._existing(op)
        self.book.delete(todo)
        del self.todos[op["id"]]
        return {"outcome": "deleted", "status": status.HTTP_204_NO_CONTENT}

    @staticmethod
    def _not_applied(failed):
        positions = ", ".join(str(index) for index in failed)
        detail = (
            f"Not applied: the batch is atomic and operation(s) {positions} failed."
        )
        return _failed(NOT_APPLIED, problem(NOT_APPLIED, detail))
