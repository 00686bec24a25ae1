import functools

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
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


@functools.cache
def _readme_sections():
    # Read once per process: the README changes only with a deploy.
    readme = settings.BASE_DIR / "README.md"
    if not readme.exists():
        return []
    return [
        line[3:].strip()
        for line in readme.read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    ]


ROOT_LINKS = [
    ("swagger-ui", "API docs", "Swagger UI: every endpoint, tried in the browser."),
    ("redoc", "API reference", "Redoc: the same, as a reference."),
    ("schema", "OpenAPI schema", "For client generators (`?format=json`)."),
    ("health", "Health", "Liveness and database reachability."),
    ("admin:index", "Admin", "For operators."),
]


class RootView(APIView):
    """What this service is, and where to go: HTML, or JSON when asked for."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    renderer_classes = [TemplateHTMLRenderer, JSONRenderer]
    template_name = "todoapp/root.html"

    @extend_schema(exclude=True)
    def get(self, request):
        return Response(
            {
                "name": settings.SPECTACULAR_SETTINGS["TITLE"],
                "description": "A REST backend for todo-list apps.",
                "api": reverse("health").rsplit("/", 1)[0] + "/",
                "links": [
                    {"title": title, "href": reverse(name), "description": text}
                    for name, title, text in ROOT_LINKS
                ],
                "readme_sections": _readme_sections(),
            }
        )
