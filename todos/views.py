from contextlib import contextmanager

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from todos.filters import TodoFilter
from todos.models import Todo
from todos.serializers import TodoSerializer, TodoStatsSerializer


class TodoViewSet(viewsets.ModelViewSet):
    serializer_class = TodoSerializer
    filterset_class = TodoFilter
    locking = False

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Todo.objects.none()
        # Scoped queryset: another user's todo is a 404, never a 403.
        todos = Todo.objects.for_user(self.request.user)
        if self.locking:
            todos = todos.select_for_update()
        return todos

    def filter_queryset(self, queryset):
        # The list's filters select todos for the list and stats; a single
        # todo is addressed by its id alone.
        if self.action not in ("list", "stats"):
            return queryset
        return super().filter_queryset(queryset)

    @contextmanager
    def row_lock(self):
        """
        Read, change and write a todo in one transaction holding its row
        lock, so concurrent changes to one todo apply one after another and
        none is lost (SQLite's IMMEDIATE transactions serialise writers anyway).
        """
        with transaction.atomic():
            self.locking = True
            try:
                yield
            finally:
                self.locking = False

    def update(self, request, *args, **kwargs):
        with self.row_lock():
            return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        with self.row_lock():
            return super().destroy(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    def get_success_headers(self, data):
        return {
            "Location": reverse("todo-detail", args=[data["id"]], request=self.request)
        }

    @extend_schema(responses=TodoStatsSerializer)
    @action(detail=False, pagination_class=None)
    def stats(self, request):
        todos = self.filter_queryset(self.get_queryset())
        return Response(todos.stats(today=request.user.today()))
