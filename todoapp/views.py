from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
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
