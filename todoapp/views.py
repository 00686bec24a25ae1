from django.db import DatabaseError, connection
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

HealthSerializer = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "unavailable"]),
        "checks": inline_serializer(
            "HealthChecks",
            {"database": serializers.ChoiceField(choices=["ok", "unavailable"])},
        ),
    },
)


class HealthView(APIView):
    """Liveness and database reachability, for load balancers: no auth, no throttle."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(responses={200: HealthSerializer, 503: HealthSerializer})
    def get(self, request):
        database = "ok" if self._database_answers() else "unavailable"
        healthy = database == "ok"
        return Response(
            {
                "status": "ok" if healthy else "unavailable",
                "checks": {"database": database},
            },
            status=status.HTTP_200_OK
            if healthy
            else status.HTTP_503_SERVICE_UNAVAILABLE,
        )

    @staticmethod
    def _database_answers():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError:
            return False
        return True


class SchemaView(SpectacularAPIView):
    """
    The OpenAPI document: JSON or YAML by `?format=json|yaml`, else by
    `Accept` (YAML by default). Generating it costs ~0.3 s of CPU, and it
    changes only with the code, so each process builds it once and serves
    the same bytes after that.
    """

    throttle_classes = []
    _rendered = {}  # media type -> (body, content type); per process

    def perform_content_negotiation(self, request, force=False):
        wanted = request.query_params.get("format")
        if wanted:
            by_format = {}
            for renderer in self.get_renderers():
                by_format.setdefault(renderer.format, renderer)
            if wanted not in by_format and not force:
                raise ValidationError({"format": ["Use json or yaml."]})
            # The problem about a wrong format is rendered as JSON.
            renderer = by_format.get(wanted, by_format["json"])
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    def _get_schema_response(self, request):
        renderer = request.accepted_renderer
        cached = self._rendered.get(renderer.media_type)
        if cached is None:
            response = super()._get_schema_response(request)
            body = renderer.render(response.data, renderer.media_type, {})
            charset = renderer.charset or "utf-8"
            content_type = f"{renderer.media_type}; charset={charset}"
            cached = self._rendered[renderer.media_type] = (body, content_type)
        body, content_type = cached
        return HttpResponse(body, content_type=content_type)
