"""CORS: only the configured origins may call the API from a browser."""

import pytest

pytestmark = pytest.mark.django_db

ALLOWED = "https://app.example.com"


@pytest.fixture(autouse=True)
def allowed_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    settings.CSRF_TRUSTED_ORIGINS = [ALLOWED]


def preflight(client, origin):
    return client.options(
        "/api/v1/todos",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, x-csrftoken",
    )


def test_preflight_from_an_allowed_origin_is_answered_with_credentials(api_client):
    response = preflight(api_client, ALLOWED)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert response["Access-Control-Allow-Credentials"] == "true"
    allowed_headers = response["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "content-type", "x-csrftoken"} <= {
        header.strip() for header in allowed_headers.split(",")
    }
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_preflight_from_another_origin_gets_no_cors_headers(api_client):
    response = preflight(api_client, "https://evil.example.net")

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Credentials" not in response


def test_actual_request_from_allowed_origin_exposes_headers(auth_client):
    response = auth_client.post("/api/v1/todos", {"title": "x"}, HTTP_ORIGIN=ALLOWED)

    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    exposed = response["Access-Control-Expose-Headers"]
    assert "Location" in exposed and "X-Request-ID" in exposed


def test_actual_request_from_another_origin_is_not_shared(auth_client):
    response = auth_client.get("/api/v1/todos", HTTP_ORIGIN="https://evil.example.net")

    assert "Access-Control-Allow-Origin" not in response


def test_no_origin_is_allowed_by_default(settings, api_client):
    settings.CORS_ALLOWED_ORIGINS = []

    assert "Access-Control-Allow-Origin" not in preflight(api_client, ALLOWED)


def test_security_headers_on_errors_and_preflights_too(api_client):
    for response in (
        api_client.get("/api/v1/nope"),
        preflight(api_client, ALLOWED),
        api_client.get("/api/v1/todos"),
    ):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_preflight_allows_the_sync_headers(api_client):
    response = api_client.options(
        "/api/v1/todos/1",
        HTTP_ORIGIN=ALLOWED,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-match, idempotency-key, if-none-match",
    )

    allowed = response["Access-Control-Allow-Headers"].lower()
    assert {"if-match", "if-none-match", "idempotency-key"} <= {
        header.strip() for header in allowed.split(",")
    }


def test_sync_and_rate_limit_headers_are_exposed(auth_client):
    response = auth_client.get("/api/v1/todos", HTTP_ORIGIN=ALLOWED)

    exposed = {h.strip() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {
        "ETag",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
    } <= exposed
