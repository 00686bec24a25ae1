"""
OpenAPI documentation of the error responses, exactly as the API sends them.

drf-spectacular documents success bodies; which problem documents an
operation can answer follows from the view's own configuration (authentication,
permissions, throttles, parsers, pagination, path parameters), so it is read
from there rather than declared again on every view.
"""

import json

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, is_patched_serializer
from rest_framework.permissions import AllowAny

from api.exceptions import PROBLEM_CONTENT_TYPE

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
    403: "Forbidden: a cookie-carried unsafe request without a valid CSRF token, or "
    "an API token without the scope this needs.",
    404: "Not found (another user's object, a missing id, or a page past the last).",
    413: "The request body is too large.",
    415: "The request body is not `application/json`.",
    429: "Too many requests; `Retry-After` says how many seconds to wait.",
    409: "A request with this Idempotency-Key is still being processed.",
    410: "The cursor is too old (or unknown): sync again without a cursor.",
    412: "If-Match does not match the current ETag: nothing changed.",
    422: "This Idempotency-Key was used with a different request body.",
    500: "An unexpected error; the log has it under this answer's X-Request-ID.",
    503: "The database is unreachable (or a query ran past its time limit); "
    "`Retry-After` says when to retry.",
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

ETAG_HEADER = {
    "ETag": {"schema": {"type": "string"}, "description": "The version of this answer."}
}
REQUEST_ID_HEADER = {
    "X-Request-ID": {
        "schema": {"type": "string"},
        "description": "This request's id in the server's logs (an upstream "
        "X-Request-ID of 1-128 plain characters is kept).",
    }
}
# Headers a view can declare on its success responses (in `schema_extras`).
RESPONSE_HEADERS = {
    "location": {
        "Location": {
            "schema": {"type": "string", "format": "uri"},
            "description": "The URL of the created resource.",
        }
    },
    "replayed": {
        "Idempotent-Replayed": {
            "schema": {"type": "string", "enum": ["true"]},
            "description": "Present on a replay of an earlier answer for the same "
            "Idempotency-Key.",
        }
    },
    "cookies": {
        "Set-Cookie": {
            "schema": {"type": "string"},
            "description": "The session cookie (`sessionid`, HttpOnly) and the CSRF "
            "cookie (`csrftoken`), for browser clients.",
        }
    },
}
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {
        "schema": {"type": "integer"},
        "description": "Requests allowed in the current window.",
    },
    "RateLimit-Remaining": {
        "schema": {"type": "integer"},
        "description": "Requests left in the window; at 0 the next one is a 429.",
    },
    "RateLimit-Reset": {
        "schema": {"type": "integer"},
        "description": "Seconds until the window resets.",
    },
}

# Request headers a view can declare it honours (in `schema_extras`).
REQUEST_HEADERS = {
    "If-Match": (
        {"type": "string"},
        "Apply only if the current ETag is one of these (or `*`); otherwise 412 "
        "and nothing changes.",
    ),
    "If-None-Match": (
        {"type": "string"},
        "Answer 304 with no body if the current ETag is one of these.",
    ),
    "Idempotency-Key": (
        {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
        "A key of the client's choosing (1-255 printable characters). A retry "
        "with the same key and body within IDEMPOTENCY_TTL gets the first answer "
        "again (`Idempotent-Replayed: true`) and creates nothing twice; the same "
        "key with another body is a 422; a retry while the first runs, a 409.",
    ),
}

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ProblemAutoSchema(AutoSchema):
    """
    AutoSchema that adds every problem response an operation can send, and
    what a view declares in `schema_extras` (by action, or by method for a
    plain APIView): request headers, ETag response headers, extra statuses.
    """

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
        extras = self.extras()
        parameters = operation.setdefault("parameters", [])
        for parameter in parameters:
            if parameter["in"] == "query":
                # `?due_before=` is the same as leaving it out (HTML forms
                # send empty fields), not a malformed date.
                parameter["allowEmptyValue"] = True
        for name in extras.get("headers", []):
            schema, description = REQUEST_HEADERS[name]
            parameters.append(
                {
                    "in": "header",
                    "name": name,
                    "schema": schema,
                    "description": description,
                }
            )
        if not parameters:
            del operation["parameters"]
        responses = operation["responses"]
        for status_code in extras.get("etag", []):
            responses[str(status_code)].setdefault("headers", {}).update(ETAG_HEADER)
        for name, header in RESPONSE_HEADERS.items():
            for status_code in extras.get(name, []):
                responses[str(status_code)].setdefault("headers", {}).update(header)
        for status_code, links in extras.get("links", {}).items():
            responses[str(status_code)]["links"] = links
        if 304 in extras.get("statuses", []):
            responses["304"] = {
                "description": "Not Modified: the ETag matched; no body.",
                "headers": ETAG_HEADER,
            }
        for status_code in sorted(self.problem_statuses(operation)):
            responses.setdefault(str(status_code), self._problem_response(status_code))
        for response in responses.values():
            headers = response.setdefault("headers", {})
            if self.view.throttle_classes:
                headers.update(RATE_LIMIT_HEADERS)
            headers.update(REQUEST_ID_HEADER)
        return operation

    def get_summary(self):
        """The view's word for it, else the first sentence of the description."""
        summary = self.extras().get("summary")
        if summary:
            return summary
        summary = self.get_description().split("\n\n")[0]
        for end in (". ", ": ", "; ", " ("):
            summary = summary.split(end)[0]
        return summary.rstrip(".") or None

    def get_description(self):
        return self.extras().get("description") or super().get_description()

    def get_filter_backends(self):
        # The stats of a list answer for the same filters as the list.
        if getattr(self.view, "action", None) == "stats":
            return self.view.filter_backends
        return super().get_filter_backends()

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        properties = schema.get("properties", {})
        patched = is_patched_serializer(serializer, direction)
        # No component carries `default`. A PATCH changes only what it
        # names: a default would make generated clients send it, overwriting
        # the stored value. On POST and PUT, generators read a default as
        # "always present" (openapi-typescript then requires the field), so
        # the default the server applies is stated in the description. An
        # answer has every value filled in.
        for name, field_schema in properties.items():
            if "default" not in field_schema:
                continue
            default = field_schema.pop("default")
            if direction == "request" and not patched:
                said = f"Default: `{json.dumps(default)}`."
                known = field_schema.get("description", "")
                # A choice list ("* `low` - low") must stay last: the enum
                # hook moves it to the enum component.
                field_schema["description"] = (
                    f"{said}\n\n{known}"
                    if known.startswith("*")
                    else " ".join(filter(None, [known, said]))
                )
            if list(field_schema) == ["allOf"] and len(field_schema["allOf"]) == 1:
                properties[name] = field_schema["allOf"][0]
        if direction == "response" and properties:
            # Answers render every field their serializer declares (unions
            # are separate serializers), null where the field allows it.
            schema["required"] = sorted(properties)
        return schema

    def extras(self):
        extras = getattr(self.view, "schema_extras", {})
        return extras.get(getattr(self.view, "action", None)) or extras.get(
            self.method, {}
        )

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
        statuses = {500, 503}
        requires_auth = not all(
            issubclass(permission, AllowAny) for permission in view.permission_classes
        )
        if view.authentication_classes:
            statuses.add(401)
        if requires_auth:
            # CSRF on the cookie carrier; an API token's scopes.
            statuses.add(403)
        if "requestBody" in operation:
            statuses |= {400, 413, 415}
        parameters = operation.get("parameters", [])
        if any(p["in"] in ("query", "header") for p in parameters):
            statuses.add(400)
        if any(p["in"] == "path" for p in parameters):
            statuses.add(404)
        if self._is_list_view() and view.pagination_class is not None:
            statuses.add(404)
        if view.throttle_classes:
            statuses.add(429)
        statuses |= {code for code in self.extras().get("statuses", []) if code != 304}
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
            response["headers"] = dict(RETRY_AFTER_HEADER)
        elif status_code == 401:
            response["headers"] = dict(AUTHENTICATE_HEADER)
        return response
