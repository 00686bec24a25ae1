"""Health, docs, schema, logging and response headers."""

import io
import json
import logging
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.urls import path as route
from rest_framework.test import APIClient

from testing.helpers import assert_problem

pytestmark = pytest.mark.django_db


def test_health_reports_database_ok(api_client):
    response = api_client.get("/api/v1/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_health_ignores_credentials(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer nonsense")

    assert api_client.get("/api/v1/health").status_code == 200


def test_schema_is_openapi_3_with_every_endpoint(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) >= {
        "/api/v1/health",
        "/api/v1/auth/signup",
        "/api/v1/auth/signin",
        "/api/v1/auth/signout",
        "/api/v1/auth/me",
        "/api/v1/todos",
        "/api/v1/todos/{id}",
        "/api/v1/todos/stats",
    }
    assert set(schema["components"]["securitySchemes"]) == {"bearerAuth", "cookieAuth"}


def test_schema_documents_errors_as_problems(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    todos = schema["paths"]["/api/v1/todos"]
    detail = schema["paths"]["/api/v1/todos/{id}"]

    assert {"400", "401", "404"} <= set(todos["get"]["responses"])
    assert {"400", "401", "403", "413", "415"} <= set(todos["post"]["responses"])
    assert {"401", "404"} <= set(detail["get"]["responses"])
    problem = todos["get"]["responses"]["401"]["content"]["application/problem+json"]
    assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert {"429", "401"} <= set(
        schema["paths"]["/api/v1/auth/signin"]["post"]["responses"]
    )
    filters = {parameter["name"] for parameter in todos["get"]["parameters"]}
    assert filters >= {
        "completed",
        "priority",
        "tag",
        "due_after",
        "due_before",
        "overdue",
        "search",
        "ordering",
        "page",
        "page_size",
    }


def test_schema_validates_without_warnings():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            "/dev/null",
        ],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_use_only_local_assets(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "https://" not in page and "http://" not in page.replace(
        "http://testserver", ""
    )


def test_docs_assets_are_served(client):
    response = client.get(
        "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
    )

    assert response.status_code == 200


def test_every_response_carries_security_headers(api_client):
    for response in (api_client.get("/api/v1/health"), api_client.get("/api/v1/todos")):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"


@pytest.fixture
def log_output():
    """What the configured stdout log handler writes, captured."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "stdout")
    buffer = io.StringIO()
    original = handler.setStream(buffer)
    yield buffer
    handler.setStream(original)


def test_request_is_logged_as_one_json_line_with_request_id(
    auth_client, user, log_output
):
    response = auth_client.get("/api/v1/todos?page=1")

    request_id = response["X-Request-ID"]
    lines = [json.loads(line) for line in log_output.getvalue().splitlines() if line]
    mine = [line for line in lines if line.get("request_id") == request_id]
    assert len(mine) == 1
    entry = mine[0]
    assert entry["method"] == "GET"
    assert entry["path"] == "/api/v1/todos"
    assert entry["status"] == 200
    assert entry["duration_ms"] >= 0
    assert entry["user_id"] == user.pk


def test_unhandled_error_is_logged_as_one_failed_line_with_its_traceback(
    settings, log_output
):
    settings.ROOT_URLCONF = "api.tests.test_errors_api"
    client = APIClient(raise_request_exception=False)

    response = client.get("/api/v1/boom?token=the-secret-of-a-link")

    lines = [json.loads(line) for line in log_output.getvalue().splitlines() if line]
    mine = [
        line for line in lines if line.get("request_id") == response["X-Request-ID"]
    ]
    assert [line["event"] for line in mine] == ["request_failed"]
    assert mine[0]["status"] == 500 and mine[0]["level"] == "error"
    assert "RuntimeError: secret internals" in mine[0]["exception"]
    assert "the-secret-of-a-link" not in log_output.getvalue()


def test_a_404_is_logged_as_a_finished_request(auth_client, log_output):
    response = auth_client.get("/api/v1/todos/123456")

    lines = [json.loads(line) for line in log_output.getvalue().splitlines() if line]
    mine = [
        line for line in lines if line.get("request_id") == response["X-Request-ID"]
    ]
    assert [(line["event"], line["status"]) for line in mine] == [
        ("request_finished", 404)
    ]
    assert mine[0]["level"] == "info" and "exception" not in mine[0]


def logs_a_warning(request):
    logging.getLogger("todoapp.somewhere").warning("something to see")
    return HttpResponse("ok")


urlpatterns = [route("warns", logs_a_warning)]


@pytest.mark.urls(__name__)
def test_a_log_line_written_during_a_request_carries_its_request_id(client, log_output):
    response = client.get("/warns", HTTP_X_REQUEST_ID="lb-77")

    lines = [json.loads(line) for line in log_output.getvalue().splitlines() if line]
    assert response["X-Request-ID"] == "lb-77"
    assert [(line["event"], line["request_id"]) for line in lines] == [
        ("something to see", "lb-77"),
        ("request_finished", "lb-77"),
    ]
    assert lines[0]["level"] == "warning"
    assert lines[0]["logger"] == "todoapp.somewhere"


def test_the_request_log_does_not_look_up_a_user_nobody_asked_for(
    client, user, django_assert_num_queries, log_output
):
    client.force_login(user)

    with django_assert_num_queries(0):
        client.get("/static/todoapp/site.css")

    (line,) = [json.loads(line) for line in log_output.getvalue().splitlines() if line]
    assert line["user_id"] is None


def test_request_id_from_upstream_is_adopted_when_well_formed(api_client):
    adopted = api_client.get("/api/v1/health", HTTP_X_REQUEST_ID="lb-1234.abc")
    replaced = api_client.get("/api/v1/health", HTTP_X_REQUEST_ID="bad id\twith spaces")

    assert adopted["X-Request-ID"] == "lb-1234.abc"
    assert replaced["X-Request-ID"] != "bad id\twith spaces"


def test_log_level_is_respected(settings):
    assert logging.getLogger().getEffectiveLevel() == getattr(
        logging, settings.LOG_LEVEL
    )


def test_admin_login_page_is_styled(client):
    page = client.get("/admin/login/")
    css = client.get("/static/admin/css/base.css")

    assert page.status_code == 200
    assert "/static/admin/css/base.css" in page.content.decode()
    assert css.status_code == 200


def test_problem_for_unknown_api_path_has_request_id(api_client):
    response = api_client.get("/api/v1/nope")

    assert_problem(response, 404)
    assert response["X-Request-ID"]


def test_schema_documents_sync_headers_and_statuses(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]

    def headers(operation):
        return {
            p["name"] for p in operation.get("parameters", []) if p["in"] == "header"
        }

    detail = paths["/api/v1/todos/{id}"]
    assert "If-None-Match" in headers(detail["get"])
    assert {"304", "200"} <= set(detail["get"]["responses"])
    assert "ETag" in detail["get"]["responses"]["200"]["headers"]
    for method in ("put", "patch", "delete"):
        assert "If-Match" in headers(detail[method])
        assert "412" in detail[method]["responses"]
    for path in ("/api/v1/todos", "/api/v1/todos/bulk"):
        post = paths[path]["post"]
        assert "Idempotency-Key" in headers(post)
        assert {"409", "422"} <= set(post["responses"])
    for path in ("/api/v1/todos", "/api/v1/todos/stats"):
        assert "304" in paths[path]["get"]["responses"]
    assert "410" in paths["/api/v1/todos/changes"]["get"]["responses"]
    assert {
        "/api/v1/auth/tokens",
        "/api/v1/auth/tokens/{id}",
        "/api/v1/auth/sessions",
        "/api/v1/auth/password",
        "/api/v1/auth/signout-all",
    } <= set(paths)
    listed = paths["/api/v1/todos"]["get"]["responses"]["200"]["headers"]
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(listed)


def test_root_page_names_the_service_and_links_the_docs(client):
    response = client.get("/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "todoapp API" in page
    for href in ("/api/docs/", "/api/redoc/", "/api/schema/", "/api/v1/health"):
        assert f'href="{href}"' in page
    assert 'href="/admin/"' in page
    assert "Security" in page and "Deployment" in page


def test_root_answers_json_to_clients_asking_for_json(client):
    response = client.get("/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "todoapp API"
    assert body["api"] == "/api/v1/"
    assert {link["href"] for link in body["links"]} >= {"/api/docs/", "/admin/"}
    assert "Configuration" in body["readme_sections"]


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"


def test_api_answers_carry_a_closed_content_security_policy(api_client):
    response = api_client.get("/api/v1/health")

    assert response["Content-Security-Policy"] == (
        "default-src 'none'; frame-ancestors 'none'"
    )


@pytest.mark.parametrize("path", ["/", "/admin/login/", "/api/docs/", "/api/redoc/"])
def test_pages_carry_a_self_only_script_policy(client, path):
    policy = client.get(path)["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_static_file_is_logged_as_one_line_without_a_duplicate_code(client, log_output):
    response = client.get("/static/todoapp/site.css")
    b"".join(response.streaming_content)

    lines = [json.loads(line) for line in log_output.getvalue().splitlines() if line]
    mine = [line for line in lines if line.get("path") == "/static/todoapp/site.css"]
    assert [line["event"] for line in lines] == ["request_finished"]
    assert len(mine) == 1 and mine[0]["status"] == 200
    assert "code" not in mine[0]


def test_the_request_log_never_shows_a_link_token(client, log_output):
    client.get("/reset-password?token=the-secret-of-a-link&other=1")

    logged = log_output.getvalue()
    assert "the-secret-of-a-link" not in logged
    assert "token=[redacted]&other=1" in logged
