"""
OpenAPI documentation of the error responses, exactly as the API sends them.

drf-spectacular documents success bodies; which problem documents an
operation can answer follows from the view's own configuration (authentication,
permissions, throttles, parsers, pagination, path parameters), so it is read
from there rather than declared again on every view.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

from todoapp.exceptions import PROBLEM_CONTENT_TYPE

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem document.",
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string", "example": "Bad Request"},
        "status": {"type": "integer", "example": 400},
        "detail": {"type": "string", "example": "Invalid input in: title."},
        "errors": {
            "type": "array",
            "description": "Present on validation errors only (400 with field checks).",
            "items": {
                "type": "object",
                "properties": {
                    "field": {
                        "type": "string",
                        "nullable": True,
                        "description": "The body field or query parameter at fault "
                        "(nested ones joined with dots), or null.",
                    },
                    "code": {"type": "string", "example": "blank"},
                    "message": {
                        "type": "string",
                        "example": "This field may not be blank.",
                    },
                },
                "required": ["field", "code", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}

PROBLEM_DESCRIPTIONS = {
    400: "Invalid input: malformed JSON (no `errors`) or field and parameter checks "
    "(`errors` names each field).",
    401: "No valid credentials; `WWW-Authenticate` offers the Bearer scheme.",
    403: "Forbidden: a cookie-authenticated unsafe request without a valid CSRF token.",
    404: "Not found (another user's object, a missing id, or a page past the last).",
    413: "The request body is too large.",
    415: "The request body is not `application/json`.",
    429: "Too many requests; `Retry-After` says how many seconds to wait.",
    503: "The database is unreachable; `Retry-After` says when to retry.",
}

RETRY_AFTER_HEADER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before retrying.",
    }
}
AUTHENTICATE_HEADER = {
    "WWW-Authenticate": {
        "schema": {"type": "string"},
        "description": "The auth challenge.",
    }
}

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ProblemAutoSchema(AutoSchema):
    """AutoSchema that adds every problem response an operation can send."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(
            path, path_regex, path_prefix, method, registry
        )
        if operation is None:
            return None
        self.registry.register_on_missing(
            ResolvedComponent(
                name="Problem",
                type=ResolvedComponent.SCHEMA,
                object="Problem",
                schema=PROBLEM_SCHEMA,
            )
        )
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                # `?due_before=` is the same as leaving it out (HTML forms
                # send empty fields), not a malformed date.
                parameter["allowEmptyValue"] = True
        responses = operation["responses"]
        for status_code in sorted(self.problem_statuses(operation)):
            responses.setdefault(str(status_code), self._problem_response(status_code))
        return operation

    def _get_request_body(self, direction="request"):
        # drf-spectacular documents bodies for POST, PUT and PATCH only;
        # OpenAPI 3.0 allows one on DELETE, and a view can declare that it
        # reads one (DELETE auth/me takes the password).
        if self.method == "DELETE" and getattr(self.view, "delete_has_body", False):
            self.method = "POST"
            try:
                return super()._get_request_body(direction)
            finally:
                self.method = "DELETE"
        return super()._get_request_body(direction)

    def problem_statuses(self, operation):
        """The problem statuses this operation can answer with."""
        view = self.view
        statuses = {503}
        requires_auth = not all(
            issubclass(permission, AllowAny) for permission in view.permission_classes
        )
        if view.authentication_classes:
            statuses.add(401)
        if requires_auth and self.method in UNSAFE_METHODS:
            statuses.add(403)
        if "requestBody" in operation:
            statuses |= {400, 413, 415}
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            statuses.add(400)
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            statuses.add(404)
        if self._is_list_view() and view.pagination_class is not None:
            statuses.add(404)
        if view.throttle_classes:
            statuses.add(429)
        statuses |= set(
            getattr(view, "extra_problem_statuses", {}).get(self.method, ())
        )
        return statuses

    def _problem_response(self, status_code):
        response = {
            "description": PROBLEM_DESCRIPTIONS.get(status_code, "A problem document."),
            "content": {
                PROBLEM_CONTENT_TYPE: {
                    "schema": {"$ref": "#/components/schemas/Problem"}
                }
            },
        }
        if status_code in (429, 503):
            response["headers"] = RETRY_AFTER_HEADER
        elif status_code == 401:
            response["headers"] = AUTHENTICATE_HEADER
        return response
