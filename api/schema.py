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
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
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
PROBLEM_SCHEMA["properties"]["code"] = {
    "type": "string",
    "description": "On problems a client must tell apart from others of their "
    "status: `email_not_verified` (403 at sign-in).",
}

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

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

# The headers that come with a problem of these statuses, wherever it is
# documented.
PROBLEM_HEADERS = {
    401: AUTHENTICATE_HEADER,
    429: RETRY_AFTER_HEADER,
    503: RETRY_AFTER_HEADER,
}
REQUEST_ID_HEADER = {
    "X-Request-ID": {
        "schema": {"type": "string"},
        "description": "This request's id in the server's logs (an upstream "
        "X-Request-ID of 1-128 plain characters is kept).",
    }
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

# --- what views declare, in drf-spectacular's own terms ----------------------
# Request headers go in `@extend_schema(parameters=[...])`; response headers
# too, as OpenApiParameter(response=[statuses]); extra statuses in
# `responses` (problem documents with problems(...)).


def _header(name, schema, description, response=False):
    return OpenApiParameter(
        name,
        schema,
        OpenApiParameter.HEADER,
        description=description,
        response=response,
    )


IF_MATCH = _header(
    "If-Match",
    OpenApiTypes.STR,
    "Apply only if the current ETag is one of these (or `*`); otherwise 412 "
    "and nothing changes.",
)
IF_NONE_MATCH = _header(
    "If-None-Match",
    OpenApiTypes.STR,
    "Answer 304 with no body if the current ETag is one of these.",
)
IDEMPOTENCY_KEY = _header(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    "A key of the client's choosing (1-255 printable characters). A retry "
    "with the same key and body within IDEMPOTENCY_TTL gets the first answer "
    "again (`Idempotent-Replayed: true`) and creates nothing twice; the same "
    "key with another body is a 422; a retry while the first runs, a 409.",
)


def etag_header(*statuses):
    return _header(
        "ETag", OpenApiTypes.STR, "The version of this answer.", list(statuses)
    )


def location_header(*statuses):
    return _header(
        "Location",
        OpenApiTypes.URI,
        "The URL of the created resource.",
        list(statuses),
    )


def replayed_header(*statuses):
    return _header(
        "Idempotent-Replayed",
        {"type": "string", "enum": ["true"]},
        "Present on a replay of an earlier answer for the same Idempotency-Key.",
        list(statuses),
    )


def cookies_header(*statuses):
    return _header(
        "Set-Cookie",
        OpenApiTypes.STR,
        "The session cookie (`sessionid`, HttpOnly) and the CSRF cookie "
        "(`csrftoken`), for browser clients.",
        list(statuses),
    )


NOT_MODIFIED = OpenApiResponse(description="Not Modified: the ETag matched; no body.")


def problems(*statuses):
    """`responses` entries for problem documents an operation can answer."""
    return {
        (status_code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            response=PROBLEM_REF, description=PROBLEM_DESCRIPTIONS[status_code]
        )
        for status_code in statuses
    }


def conditional_read(serializer):
    """`extend_schema` arguments of a read answered 304 on If-None-Match."""
    return {
        "parameters": [IF_NONE_MATCH, etag_header(200, 304)],
        "responses": {200: serializer, 304: NOT_MODIFIED},
    }


class ProblemAutoSchema(AutoSchema):
    """
    AutoSchema that adds what holds for every operation, read from the view's
    own configuration rather than declared again on each: the problem
    responses it can send (authentication, permissions, throttles, parsers,
    pagination, path parameters), the rate-limit and request-id headers, and
    empty query parameters allowed.
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
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                # `?due_before=` is the same as leaving it out (HTML forms
                # send empty fields), not a malformed date.
                parameter["allowEmptyValue"] = True
        if method == "DELETE" and "requestBody" not in operation:
            self._add_delete_body(operation)
        responses = operation["responses"]
        for status_code in sorted(self.problem_statuses(operation)):
            responses.setdefault(str(status_code), self._problem_response(status_code))
        for status_code, response in responses.items():
            headers = response.setdefault("headers", {})
            if PROBLEM_CONTENT_TYPE in response.get("content", {}):
                headers.update(PROBLEM_HEADERS.get(int(status_code), {}))
            if self.view.throttle_classes:
                headers.update(RATE_LIMIT_HEADERS)
            headers.update(REQUEST_ID_HEADER)
        return operation

    def _add_delete_body(self, operation):
        """
        The body a DELETE declares with `extend_schema(request=...)` (DELETE
        auth/me takes the password). drf-spectacular documents bodies for
        POST, PUT and PATCH only; OpenAPI 3.0 allows one on DELETE, and its
        maintainers suggest adding it in get_operation() (drf-spectacular
        issue 809).
        """
        serializer = self.get_request_serializer()
        if serializer is None:
            return
        component = self.resolve_serializer(serializer, "request")
        operation["requestBody"] = {
            "content": {
                media_type: {"schema": component.ref}
                for media_type in self.map_parsers()
            },
            "required": True,
        }

    def get_request_serializer(self):
        # A DELETE reads no body unless the view declares one: extend_schema
        # (request=...) overrides this method and answers it first.
        if self.method == "DELETE":
            return None
        return super().get_request_serializer()

    def get_summary(self):
        """
        Unless declared (extend_schema(summary=...) answers first), the first
        sentence of the description.
        """
        summary = self.get_description().split("\n\n")[0]
        for end in (". ", ": ", "; ", " ("):
            summary = summary.split(end)[0]
        return summary.rstrip(".") or None

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
        return statuses

    def _problem_response(self, status_code):
        return {
            "description": PROBLEM_DESCRIPTIONS.get(status_code, "A problem document."),
            "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}},
        }


# --- for every operation -----------------------------------------------------

# The link each method on a created resource's path gets from its create.
LINKS_BY_METHOD = {
    "get": ("Get", "Read the created {}."),
    "put": ("Update", "Replace the created {}."),
    "patch": ("Patch", "Change the created {}."),
    "delete": ("Delete", "Delete the created {}."),
}


def link_created_resources(result, generator, request, public):
    """
    Postprocessing hook: OpenAPI links from every create (a 201 answer to a
    POST on a collection path) to each operation on the path of the created
    resource (`{path}/{id}`, with the answer's `id`), which stateful testers
    and client generators follow.
    """
    paths = result["paths"]
    for path, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        resource = paths.get(f"{path}/{{id}}")
        if created is None or resource is None:
            continue
        noun = _resource_noun(path)
        created["links"] = {
            f"{verb}{noun.title().replace(' ', '')}": {
                "operationId": resource[method]["operationId"],
                "parameters": {"id": "$response.body#/id"},
                "description": description.format(noun),
            }
            for method, (verb, description) in LINKS_BY_METHOD.items()
            if method in resource
        }
    return result


def _resource_noun(path):
    """`/api/v1/todos` -> "todo"; `/api/v1/auth/tokens` -> "token"."""
    return path.rstrip("/").rsplit("/", 1)[-1].removesuffix("s").replace("_", " ")
