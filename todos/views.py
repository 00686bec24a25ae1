import functools
from contextlib import contextmanager

from django.http import Http404
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from api.conditional import not_modified, require_if_match
from api.exceptions import CodedProblem
from api.idempotency import idempotent
from api.params import path_id, whole_number
from api.schema import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    IF_NONE_MATCH,
    NOT_MODIFIED,
    conditional_read,
    etag_header,
    location_header,
    problems,
    replayed_header,
)
from todos import access, daily, ledger, placement, summary
from todos.bulk import Batch
from todos.feed import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    collection_etag,
    feed_body,
    todo_etag,
)
from todos.filter_plans import planned_rows
from todos.filters import CompletionFilter, TodoFilter
from todos.ledger import SyncState
from todos.list_serializers import TodoListSerializer
from todos.models import Completion, Todo
from todos.serializers import (
    BulkRequestSerializer,
    BulkResponseSerializer,
    ChangeFeedSerializer,
    CompletionSerializer,
    DailyCountSerializer,
    MoveTodoSerializer,
    TodoSerializer,
    TodoStatsSerializer,
)

WRITE_ANSWER = {200: TodoSerializer, **problems(412)}


class NoNextOccurrence(CodedProblem):
    status_code = status.HTTP_409_CONFLICT
    default_code = "no_next_occurrence"


@extend_schema_view(
    list=extend_schema(
        summary="List todos",
        description="The caller's todos, newest first unless `ordering` says "
        "otherwise, filtered by the parameters given (all must hold), a page at "
        "a time.",
        **conditional_read(TodoSerializer),
    ),
    retrieve=extend_schema(
        summary="Get a todo",
        description="One of the caller's todos (another user's id is a 404).",
        **conditional_read(TodoSerializer),
    ),
    update=extend_schema(
        summary="Replace a todo",
        description="Every writable field: those left out take their defaults. "
        "With If-Match, only if the todo is unchanged.",
        parameters=[IF_MATCH, etag_header(200)],
        responses=WRITE_ANSWER,
    ),
    partial_update=extend_schema(
        summary="Change a todo",
        description="Only the fields given change. With If-Match, only if the "
        "todo is unchanged; a change to nothing keeps its ETag.",
        parameters=[IF_MATCH, etag_header(200)],
        responses=WRITE_ANSWER,
    ),
    destroy=extend_schema(
        summary="Delete a todo",
        description="Deletes the todo; the change feed reports it as a "
        "deletion. With If-Match, only if the todo is unchanged.",
        parameters=[IF_MATCH],
        responses={204: None, **problems(412)},
    ),
)
class TodoViewSet(viewsets.ModelViewSet):
    serializer_class = TodoSerializer
    filterset_class = TodoFilter
    book = None  # the ledger's Book while the request writes
    _valid_filters = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Todo.objects.none()
        # Scoped queryset: another user's todo is a 404, never a 403.
        return Todo.objects.for_user(self.request.user)

    def filter_queryset(self, queryset):
        # The list's filters select todos for the list and stats; a single
        # todo is addressed by its id alone. Without any filter parameter the
        # FilterSet (a form built and validated per request) is skipped.
        if self.action not in ("list", "stats", "daily_stats"):
            return queryset
        if self.hides_archived:
            queryset = queryset.filter(list__archived=False)
        if not self.filtered:
            return queryset
        return self.valid_filters().filter_queryset(queryset)

    def valid_filters(self):
        """
        The request's TodoFilter, validated (a 400 naming the parameter
        otherwise) as DjangoFilterBackend validates it, once per request; it
        filters any queryset it is given.
        """
        if self._valid_filters is None:
            filters = TodoFilter(
                self.request.query_params,
                queryset=Todo.objects.none(),
                request=self.request,
            )
            if not filters.is_valid():
                raise translate_validation(filters.errors)
            self._valid_filters = filters
        return self._valid_filters

    @property
    def filtered(self):
        """Whether the request names any of the list's filters."""
        params = self.request.query_params
        return any(name in params for name in TodoFilter.base_filters)

    @property
    def hides_archived(self):
        """
        Whether archived lists' todos are left out here: unless `list=`
        names lists, and only if the caller may see any (known from their
        sync state, which came with the session: no query).
        """
        names_lists = any(self.request.query_params.getlist("list"))
        user = self.request.user
        # Lists shared with the caller may be archived by their owners.
        may_have = SyncState.objects.of(user).archived > 0 or access.shares(user)
        return not names_lists and may_have

    def get_object(self):
        # GenericAPIView.get_object() as it would find the todo, through a
        # query compiled once (Todo.objects.seen_one).
        pk = path_id(self.kwargs["pk"], "Todo")  # 404 for what cannot be an id
        todo = Todo.objects.seen_one(self.request.user, pk)
        if todo is None:
            raise Http404("No Todo matches the given query.")
        self.check_object_permissions(self.request, todo)
        if self.request.method in ("PUT", "PATCH", "DELETE") or self.action == "move":
            placement.require_editor(self.request.user, todo)
            require_if_match(self.request, todo_etag(todo))
        return todo

    @contextmanager
    def writing(self, growth=0):
        """
        Read, check, change and write in one ledger Book (todos.ledger),
        holding the write lock of the owner of the todo (or of the list it
        goes to): concurrent changes apply one after another, none is lost,
        and of two writes sent with the same If-Match exactly one succeeds.
        """
        owner, *also = self._owners()
        with ledger.writing(owner, growth=growth, also=also) as self.book:
            self.book.knows(self.request.user)
            try:
                yield self.book
            finally:
                self.book = None

    def _owners(self):
        """
        Whose books the write touches, the first the owner it grows: the
        todo's owner and that of the list named in the body (a create in it,
        or a move to it). Ids the caller cannot see name no one; the write
        then fails validation (or is a 404) before it writes anything.
        """
        user, data = self.request.user, self.request.data
        named = data.get("list") if isinstance(data, dict) else None
        to_list = access.owners_of_lists(user, [named])
        if "pk" not in self.kwargs:
            return [*(to_list or {user.pk})]
        of_todo = access.owners_of_todos(user, [self.kwargs["pk"]]) or {user.pk}
        return [*of_todo, *(to_list - of_todo)]

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "book": self.book}

    # --- reads ---------------------------------------------------------------

    def _collection(self, request, answer):
        """
        `answer(todos)` behind an ETag of the user's latest change: a match
        costs no query beyond authentication. The query parameters are checked
        first: a request that would be a 400 is one whatever its preconditions.
        `todos()` builds the filtered queryset, only if the answer needs it.
        """
        todos = functools.cache(lambda: self.filter_queryset(self.get_queryset()))
        if self.filtered:
            self.valid_filters()  # 400 on bad filters
        if self.paginator is not None:
            self.paginator.check_params(request)  # 400 on a bad page or size
        etag = collection_etag(request)
        response = not_modified(request, etag) or answer(todos)
        response["ETag"] = etag
        return response

    def list(self, request, *args, **kwargs):
        def answer(todos):
            user = request.user
            if self.filtered:
                rows = planned_rows(self.valid_filters(), user, self.hides_archived)
                page = self.paginate_queryset(todos() if rows is None else rows)
            elif not self.hides_archived:
                # for_user() as it is, the most asked page: the fast way.
                total = SyncState.objects.of(user).todos
                page = self.paginate_queryset(
                    Todo.objects.own_newest_first(user, total)
                )
            else:
                # Others' lists, or archived ones: counted and paged by plans.
                page = self.paginate_queryset(Todo.objects.seen_unarchived(user))
            return self.get_paginated_response(
                self.get_serializer(page, many=True).data
            )

        return self._collection(request, answer)

    @extend_schema(
        summary="Count todos",
        description="Counts of the caller's todos: totals, overdue, due today, "
        "by priority and by tag. Takes the list's filters.",
        **conditional_read(TodoStatsSerializer),
    )
    @action(detail=False, pagination_class=None)
    def stats(self, request):
        def answer(todos):
            today = request.user.today()
            if self.filtered:
                return Response(todos().stats(today=today, zone=request.user.zoneinfo))
            # All of the user's todos: the maintained summary, one small query.
            hidden = self.hides_archived
            return Response(summary.stats_of(request.user, today, hidden))

        return self._collection(request, answer)

    @extend_schema(
        summary="Count completions and new todos per day",
        description="For each of the last `days` days in the caller's time "
        "zone, oldest first: how many todos were completed (the completion "
        "history) and created. Takes the list's filters.",
        parameters=[
            OpenApiParameter(
                "days",
                {"type": "integer", "minimum": 1, "maximum": 366, "default": 30},
                description="How many days, today included.",
            ),
            IF_NONE_MATCH,
            etag_header(200, 304),
        ],
        responses={200: DailyCountSerializer(many=True), 304: NOT_MODIFIED},
    )
    @action(detail=False, url_path="stats/daily", pagination_class=None)
    def daily_stats(self, request):
        days = whole_number(request.query_params, "days", default=30, maximum=366)

        def answer(todos):
            return Response(daily.counts(request.user, todos(), days))

        return self._collection(request, answer)

    def retrieve(self, request, *args, **kwargs):
        todo = self.get_object()
        etag = todo_etag(todo)
        response = not_modified(request, etag) or Response(
            self.get_serializer(todo).data
        )
        response["ETag"] = etag
        return response

    # --- writes --------------------------------------------------------------

    @extend_schema(
        summary="Create a todo",
        description="A new todo of the caller's. Fields left out take their defaults.",
        parameters=[
            IDEMPOTENCY_KEY,
            etag_header(201),
            location_header(201),
            replayed_header(201),
        ],
        responses={201: TodoSerializer, **problems(409, 422)},
    )
    def create(self, request, *args, **kwargs):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request):
        with self.writing(growth=1):
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            todo = serializer.save(created_by_id=request.user.pk)
        location = reverse("todo-detail", args=[todo.pk], request=request)
        return Response(
            serializer.data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location, "ETag": todo_etag(todo)},
        )

    def update(self, request, *args, partial=False, **kwargs):
        with self.writing():
            serializer = self.get_serializer(
                self.get_object(), data=request.data, partial=partial
            )
            serializer.is_valid(raise_exception=True)
            todo = serializer.save()
        return Response(serializer.data, headers={"ETag": todo_etag(todo)})

    def destroy(self, request, *args, **kwargs):
        # One todo fewer, or (404, 412) nothing, as the transaction rolls back.
        with self.writing(growth=-1) as book:
            book.delete(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Move a todo",
        description="Puts the todo right after the sibling `after` (null: "
        "first) under `parent` in `list`, as a user drags it into place: one "
        "change. Moving it to another list moves its subtasks too. With "
        "If-Match, only if the todo is unchanged.",
        request=MoveTodoSerializer,
        parameters=[IF_MATCH, etag_header(200)],
        responses=WRITE_ANSWER,
    )
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def move(self, request, pk=None):
        move = MoveTodoSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        with self.writing() as book:
            todo = self.get_object()
            placement.move(book, request.user, todo, move.validated_data)
        return Response(
            self.get_serializer(todo).data, headers={"ETag": todo_etag(todo)}
        )

    @extend_schema(
        summary="Skip an occurrence",
        description="Moves a recurring todo to its next occurrence without "
        "recording a completion. A todo that does not recur, or whose rule has "
        "no next occurrence, is a 409. With If-Match, only if unchanged.",
        request=None,
        parameters=[IF_MATCH, etag_header(200)],
        responses={200: TodoSerializer, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def skip(self, request, pk=None):
        with self.writing() as book:
            todo = self.get_object()
            if book.skip(todo) is None:
                raise NoNextOccurrence(
                    "This todo does not recur, or its rule has no next occurrence."
                )
        return Response(
            self.get_serializer(todo).data, headers={"ETag": todo_etag(todo)}
        )

    @extend_schema(
        summary="List completions",
        description="Every completion of the caller's todos, newest first: "
        "one per time a todo was done (for a recurring one, the occurrence "
        "done). Reopening a todo that does not recur takes its last back.",
        filters=True,
        responses={200: CompletionSerializer(many=True)},
    )
    @action(detail=False, filterset_class=CompletionFilter)
    def completions(self, request):
        done = Completion.objects.filter(todo__in=self.get_queryset().values("pk"))
        done = self.filter_queryset_of(done).order_by("-completed_at", "-pk")
        page = self.paginate_queryset(done)
        return self.get_paginated_response(CompletionSerializer(page, many=True).data)

    def filter_queryset_of(self, queryset):
        """The completions' own filters (the list's skip everything else)."""
        for backend in self.filter_backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    # --- sync ----------------------------------------------------------------

    @extend_schema(
        summary="Read the change feed",
        parameters=[
            OpenApiParameter(
                "cursor",
                OpenApiTypes.STR,
                description="The previous answer's `cursor`; none for a first sync.",
            ),
            OpenApiParameter(
                "limit",
                {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT,
                },
                description="Changes per answer.",
            ),
        ],
        responses={200: ChangeFeedSerializer, **problems(410)},
    )
    @action(detail=False, pagination_class=None, filter_backends=[])
    def changes(self, request):
        """
        The changes to the caller's todos since `cursor`, oldest first. Apply
        them in order and follow `cursor` until `has_more` is false.
        """
        # One serializer for the page's todos, not one per todo.
        body = feed_body(
            request.user,
            request.query_params,
            render=lambda todos: self.get_serializer(todos, many=True).data,
            render_lists=lambda shown: TodoListSerializer(shown, many=True).data,
        )
        return Response(body)

    @extend_schema(
        summary="Apply many operations",
        request=BulkRequestSerializer,
        parameters=[IDEMPOTENCY_KEY, replayed_header(200)],
        responses={200: BulkResponseSerializer, **problems(409, 422)},
    )
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def bulk(self, request):
        """
        Up to 100 creates, updates (PATCH semantics), moves and deletes, answered in
        order; with `atomic`, all of them or none.
        """
        return idempotent(request, lambda: self._bulk(request))

    def _bulk(self, request):
        envelope = BulkRequestSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        batch = Batch(request, envelope.validated_data["operations"])
        results = batch.run(atomic=envelope.validated_data["atomic"])
        return Response({"results": results})
