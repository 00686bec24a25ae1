from contextlib import contextmanager

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse

from api.conditional import not_modified, require_if_match
from api.idempotency import idempotent
from api.params import path_id
from api.schema import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    conditional_read,
    etag_header,
    location_header,
    problems,
    replayed_header,
)
from todos import access, ledger, list_rows, ordering, sharing
from todos.feed import collection_etag, list_etag
from todos.list_serializers import MoveListSerializer, TodoListSerializer
from todos.lists import Membership, Role, TodoList
from todos.sharing import DefaultListConflict
from todos.sharing_serializers import TransferSerializer
from todos.sharing_views import share_scope

WRITE_ANSWER = {200: TodoListSerializer, **problems(409, 412)}


@extend_schema_view(
    list=extend_schema(
        summary="List lists",
        description="The lists the caller can see (their own and those shared "
        "with them), in the caller's own order (`position`, then oldest first).",
        **conditional_read(TodoListSerializer),
    ),
    retrieve=extend_schema(
        summary="Get a list",
        description="A list the caller can see (any other id is a 404).",
        **conditional_read(TodoListSerializer),
    ),
    update=extend_schema(
        summary="Replace a list",
        description="Its name, color and archived flag (those left out take "
        "their defaults). The owner's. With If-Match, only if unchanged.",
        parameters=[IF_MATCH, etag_header(200)],
        responses=WRITE_ANSWER,
    ),
    partial_update=extend_schema(
        summary="Change a list",
        description="Only the fields given change; `archived` archives or "
        "restores it. The owner's. With If-Match, only if unchanged.",
        parameters=[IF_MATCH, etag_header(200)],
        responses=WRITE_ANSWER,
    ),
    destroy=extend_schema(
        summary="Delete a list",
        description="Deletes the list and its todos (each a deletion in the "
        "change feed). The owner's; the default list cannot be deleted (409).",
        parameters=[IF_MATCH],
        responses={204: None, **problems(409, 412)},
    ),
)
class TodoListViewSet(viewsets.ModelViewSet):
    serializer_class = TodoListSerializer
    write_scope = None  # todos:write, but for transfer (accounts.permissions)
    # The URL's id is the list's; the object is the caller's membership.
    lookup_field = "list_id"
    lookup_url_kwarg = "pk"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Membership.objects.none()
        # Scoped: a list the caller is no member of is a 404, never a 403.
        return Membership.objects.filter(user=self.request.user).select_related("list")

    def get_object(self):
        """The caller's membership (with its list), for a write."""
        path_id(self.kwargs["pk"], "list")  # 404 for what cannot be an id
        membership = super().get_object()
        if "If-Match" in self.request.headers:
            require_if_match(self.request, self._etag(membership.list_id))
        return membership

    def _shown(self, list_id):
        """The list as the caller sees it now (todos.list_rows), or a 404."""
        shown = list_rows.shown_one(self.request.user, path_id(list_id, "list"))
        if shown is None:
            raise NotFound("No list matches the given query.")
        return shown

    def _etag(self, list_id):
        return list_etag(self.get_serializer(self._shown(list_id)).data)

    def _answer(self, list_id, **kwargs):
        body = self.get_serializer(self._shown(list_id)).data
        return Response(body, headers={"ETag": list_etag(body)}, **kwargs)

    @contextmanager
    def writing(self, also=()):
        """
        The ledger Book (todos.ledger) of the list's owner (the caller's for
        a new list): their write lock, as for the list's todos.
        """
        user = self.request.user
        owners = access.owners_of_lists(user, [self.kwargs.get("pk")])
        owner = owners.pop() if owners else user.pk
        with ledger.writing(owner, also=[*also]) as book:
            yield book

    @staticmethod
    def _require_owner(membership):
        if membership.role != Role.OWNER:
            raise PermissionDenied("Only the list's owner can do this.")

    # --- reads ---------------------------------------------------------------

    def list(self, request, *args, **kwargs):
        self.paginator.check_params(request)  # 400 on a bad page or size
        # Every change the caller can see takes one of their change numbers.
        etag = collection_etag(request)
        response = not_modified(request, etag)
        if response is None:
            page = self.paginate_queryset(list_rows.ShownLists(request.user))
            response = self.get_paginated_response(
                self.get_serializer(page, many=True).data
            )
        response["ETag"] = etag
        return response

    def retrieve(self, request, *args, **kwargs):
        body = self.get_serializer(self._shown(self.kwargs["pk"])).data
        etag = list_etag(body)
        response = not_modified(request, etag) or Response(body)
        response["ETag"] = etag
        return response

    # --- writes --------------------------------------------------------------

    @extend_schema(
        summary="Create a list",
        description="A new list, owned by the caller and last in their order.",
        parameters=[
            IDEMPOTENCY_KEY,
            etag_header(201),
            location_header(201),
            replayed_header(201),
        ],
        responses={201: TodoListSerializer, **problems(409, 422)},
    )
    def create(self, request, *args, **kwargs):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with self.writing() as book:
            todo_list = book.create_list(
                TodoList(owner=request.user, **serializer.validated_data)
            )
        location = reverse("list-detail", args=[todo_list.pk], request=request)
        response = self._answer(todo_list.pk, status=status.HTTP_201_CREATED)
        response["Location"] = location
        return response

    def update(self, request, *args, partial=False, **kwargs):
        with self.writing() as book:
            membership = self.get_object()
            self._require_owner(membership)
            serializer = self.get_serializer(
                membership, data=request.data, partial=partial
            )
            serializer.is_valid(raise_exception=True)
            todo_list = membership.list
            changed = {
                field: value
                for field, value in serializer.validated_data.items()
                if getattr(todo_list, field) != value
            }
            if changed.get("archived") and todo_list.is_default:
                raise DefaultListConflict("The default list cannot be archived.")
            if changed:
                for field, value in changed.items():
                    setattr(todo_list, field, value)
                book.save_list(todo_list)
        return self._answer(todo_list.pk)

    def destroy(self, request, *args, **kwargs):
        with self.writing() as book:
            membership = self.get_object()
            self._require_owner(membership)
            if membership.list.is_default:
                raise DefaultListConflict("The default list cannot be deleted.")
            book.delete_list(membership.list)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Move a list",
        description="Puts the list right after another of the caller's lists "
        "(`after`; null: first) in the caller's own order. With If-Match, only "
        "if the list is unchanged.",
        request=MoveListSerializer,
        parameters=[IF_MATCH, etag_header(200)],
        responses={200: TodoListSerializer, **problems(412)},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def move(self, request, pk=None):
        move = MoveListSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        after_id = move.validated_data["after"]
        with self.writing() as book:
            membership = self.get_object()
            mine = Membership.objects.filter(user=request.user).exclude(
                pk=membership.pk
            )
            before = None
            if after_id is not None:
                before = mine.filter(list_id=after_id).first()
                if before is None:
                    raise ValidationError({"after": ["No other list with this id."]})
            keys = mine.order_by("position").values_list("position", flat=True)
            following = keys.filter(position__gt=before.position) if before else keys
            key = ordering.between(
                before.position if before else None, following.first()
            )
            if not ordering.fits(key):
                rows = list(mine.select_related("list").order_by("position", "pk"))
                key = ordering.respaced(rows, before)
                for row in rows:
                    book.save_membership(
                        row, row.list.owner_id, update_fields=["position", "seq"]
                    )
            membership.position = key
            book.save_membership(
                membership, membership.list.owner_id, update_fields=["position", "seq"]
            )
        return self._answer(membership.list_id)

    @extend_schema(
        summary="Hand a list to another member",
        description="Makes the member `user_id` the list's owner; the caller, "
        "its owner until now, stays as an editor. Its todos move to the new "
        "owner's account, each a change in the feed. The owner's.",
        request=TransferSerializer,
        parameters=[etag_header(200)],
        responses={200: TodoListSerializer, **problems(409, 412)},
    )
    @action(
        detail=True,
        methods=["post"],
        pagination_class=None,
        write_scope=share_scope,
    )
    def transfer(self, request, pk=None):
        handover = TransferSerializer(data=request.data)
        handover.is_valid(raise_exception=True)
        self._require_owner(self.get_object())
        heir = Membership.objects.filter(
            list_id=self.kwargs["pk"], user_id=handover.validated_data["user_id"]
        ).first()
        if heir is None:
            raise ValidationError({"user_id": ["Not a member of this list."]})
        # Both owners' locks, taken in order; then read again under them.
        with self.writing(also=[heir.user_id]) as book:
            membership = self.get_object()
            self._require_owner(membership)
            heir.refresh_from_db()
            sharing.transfer(book, membership.list, heir)
        return self._answer(membership.list_id)
