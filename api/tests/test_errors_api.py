"""The one error format, for errors raised by DRF and by Django itself."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from testing.helpers import assert_problem

pytestmark = pytest.mark.django_db


def explode(request):
    raise RuntimeError("secret internals: password=hunter2")


def fine(request):
    return HttpResponse("fine")


class SlowQueryView(APIView):
    """A query that outlives a tiny statement_timeout, as a heavy one would."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 50")
            cursor.execute("SELECT pg_sleep(2)")
        return Response({})


# A URLconf with a broken view, for the 500 path.
urlpatterns = [
    path("api/v1/boom", explode),
    path("boom", explode),
    path("api/v1/slow", SlowQueryView.as_view()),
    path("", include("todoapp.urls")),
]
handler500 = "api.exceptions.server_error"
handler404 = "api.exceptions.page_not_found"


def test_unknown_api_path_is_a_404_problem(auth_client):
    body = assert_problem(auth_client.get("/api/v1/does-not-exist"), 404)

    assert "/api/v1/does-not-exist" in body["detail"]


def test_unknown_api_path_is_a_404_problem_without_credentials(api_client):
    assert_problem(api_client.post("/api/nothing/here", {}), 404)


def test_unknown_non_api_path_keeps_djangos_html_404(api_client):
    response = api_client.get("/no-such-page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_unhandled_error_is_a_500_problem_without_internals(settings):
    settings.ROOT_URLCONF = __name__
    client = APIClient(raise_request_exception=False)

    response = client.get("/api/v1/boom")

    body = assert_problem(response, 500)
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["detail"] == "An unexpected error occurred."
    assert response["X-Request-ID"]


def test_unhandled_error_outside_api_keeps_html(settings):
    settings.ROOT_URLCONF = __name__
    client = APIClient(raise_request_exception=False)

    response = client.get("/boom")

    assert response.status_code == 500
    assert "hunter2" not in response.content.decode()


def test_method_not_allowed_is_a_405_problem_with_allow(auth_client):
    response = auth_client.put("/api/v1/todos", {"title": "x"})

    assert_problem(response, 405)
    assert response["Allow"]


def test_wrong_content_type_is_a_415_problem(auth_client):
    response = auth_client.post(
        "/api/v1/todos", "<todo/>", content_type="application/xml"
    )

    assert_problem(response, 415)


@pytest.mark.parametrize(
    "body",
    ['{"title": ', "not json", '{"title": NaN}', "[" * 100_000 + "]" * 100_000, "\xff"],
)
def test_malformed_json_is_a_400_problem_without_errors(auth_client, body):
    response = auth_client.post("/api/v1/todos", body, content_type="application/json")

    problem = assert_problem(response, 400)
    assert "errors" not in problem


def test_body_over_the_limit_is_a_413_problem(auth_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = auth_client.post(
        "/api/v1/todos", {"title": "x", "description": "y" * 2000}, format="json"
    )

    assert_problem(response, 413)


def test_validation_problem_lists_every_field_error(auth_client):
    response = auth_client.post(
        "/api/v1/todos", {"title": "", "priority": "x", "tags": "a"}
    )

    body = assert_problem(response, 400)
    assert {error["field"] for error in body["errors"]} == {"title", "priority", "tags"}
    assert all(set(error) == {"field", "code", "message"} for error in body["errors"])
    assert "title" in body["detail"]


def test_json_is_answered_whatever_accept_says(auth_client):
    response = auth_client.get("/api/v1/todos", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_problem_is_answered_whatever_accept_says(api_client):
    response = api_client.get("/api/v1/todos", HTTP_ACCEPT="application/problem+json")

    assert_problem(response, 401)


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_trailing_slash_redirects_to_the_api_path_keeping_the_method(
    auth_client, method
):
    response = getattr(auth_client, method)("/api/v1/todos/?page=2")

    assert response.status_code == 308
    assert response["Location"] == "/api/v1/todos?page=2"
    assert response["Content-Type"] == "application/problem+json"
    assert "/api/v1/todos" in response.json()["detail"]


def test_trailing_slash_on_an_unknown_path_is_a_plain_404(auth_client):
    response = auth_client.get("/api/v1/nothing/")

    assert_problem(response, 404)


@pytest.mark.parametrize("scheme", ["Token", "Basic"])
def test_other_authorization_schemes_are_told_to_use_bearer(api_client, user, scheme):
    api_client.credentials(HTTP_AUTHORIZATION=f"{scheme} abc123")

    body = assert_problem(api_client.get("/api/v1/todos"), 401)

    assert scheme in body["detail"] and "Bearer" in body["detail"]


@pytest.mark.urls(__name__)
def test_a_query_past_the_statement_timeout_is_a_clear_503(api_client):
    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")

    response = api_client.get("/api/v1/slow")

    body = assert_problem(response, 503)
    assert "took too long" in body["detail"]
    assert response["Retry-After"]


def test_database_sessions_get_the_statement_timeout(settings):
    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "5s"
