import datetime as dt

from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")
# A list page's worth of JSON: 20 todos, the size GET todos answers.
PAGE = {
    "count": 40,
    "next": "http://127.0.0.1/api/v1/todos?page=2",
    "previous": None,
    "results": [
        {
            "id": 1000 + index,
            "title": "Write the quarterly report",
            "description": "Check the notes from last time first.",
            "priority": "medium",
            "due_date": "2026-02-01",
            "completed": False,
            "completed_at": None,
            "tags": ["work", "urgent"],
            "created_at": _NOW,
            "updated_at": _NOW,
        }
        for index in range(20)
    ],
}


class CeilingView(APIView):
    """The stack's ceiling: the same middleware and DRF, no database work."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def get(self, request):
        return Response(PAGE)
