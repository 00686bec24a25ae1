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

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Todo.objects.none()
        # Scoped queryset: another user's todo is a 404, never a 403.
        return Todo.objects.for_user(self.request.user)

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
