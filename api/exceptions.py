"""
The API's one error format: RFC 9457 problem details.

Every error an `/api/` client can see goes through here: DRF's exceptions via
`api_exception_handler`, and Django's own 400/403/404/500 pages via the
`handler*` views wired in todoapp.urls. Hand-written, although drf-problems
exists: it supports only old Django and DRF releases (not Django 5.2 with
DRF 3.18), and it covers DRF's exceptions, not Django's own error pages.
"""

import json
import logging
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.urls import is_valid_path
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Seconds a client should wait before retrying while the database is away.
DATABASE_RETRY_AFTER = 5

logger = logging.getLogger(__name__)


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; retry shortly."
    default_code = "service_unavailable"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "If-Match does not match the current ETag: the resource has changed."
    )
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A conflicting request is in progress."
    default_code = "conflict"


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "The resource is gone."
    default_code = "gone"


class UnprocessableContent(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request cannot be processed."
    default_code = "unprocessable"


class CodedProblem(exceptions.APIException):
    """
    An error a client must tell apart from others of its status: its problem
    document carries `code` (its default_code), an RFC 9457 extension member.
    """


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(f"The request body exceeds {limit} bytes.")


def printable(text):
    """
    `text` safe to encode as UTF-8. Error messages can quote the client's
    input, and a lone surrogate in it would make rendering the error a 500.
    """
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")


def problem(status_code, detail, errors=None):
    """The body of a problem document."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": printable(detail),
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(status_code, detail, errors=None):
    """A problem document as a plain Django response, for errors outside DRF."""
    return JsonResponse(
        problem(status_code, detail, errors),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def flatten_errors(detail, field=None):
    """
    DRF's nested error structure as a flat list of `{field, code, message}`.

    Nested fields are joined with dots (`tags.2`, `operations.0.data.title`);
    errors not tied to a field have `field: null`.
    """
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                errors += flatten_errors(value, field)
            else:
                errors += flatten_errors(value, f"{field}.{key}" if field else str(key))
        return errors
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [_error_entry(field, item) for item in detail]
        errors = []
        for index, item in enumerate(detail):
            errors += flatten_errors(item, f"{field}.{index}" if field else str(index))
        return errors
    return [_error_entry(field, detail)]


def _error_entry(field, message):
    return {
        "field": None if field is None else printable(field),
        "code": getattr(message, "code", "invalid"),
        "message": printable(message),
    }


def _validation_detail(errors):
    fields = sorted({error["field"] for error in errors if error["field"]})
    if fields:
        return f"Invalid input in: {', '.join(fields)}."
    return errors[0]["message"] if errors else "Invalid input."


def api_exception_handler(exc, context):
    # DRF maps these two itself, but the detail is read from `exc` below.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(get_error_detail(exc))
    elif isinstance(exc, OperationalError) and _cancelled(exc):
        logger.warning("query cancelled by statement_timeout: %s", exc)
        exc = ServiceUnavailable(
            "The request took too long and was stopped: narrow it (filters, a "
            "smaller page) or retry later."
        )
        exc.wait = DATABASE_RETRY_AFTER
    elif isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database unavailable: %s", exc)
        exc = ServiceUnavailable()
        exc.wait = DATABASE_RETRY_AFTER

    if isinstance(exc, exceptions.NotAuthenticated) and "request" in context:
        exc = _explain_missing_credentials(context["request"], exc)

    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an API error: Django logs it and answers through handler500.
        return None

    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        response.data = problem(
            response.status_code, _validation_detail(errors), errors
        )
    else:
        response.data = problem(response.status_code, exc.detail)
        if isinstance(exc, CodedProblem):
            response.data["code"] = exc.default_code
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _cancelled(exc):
    """A query PostgreSQL cancelled at DB_STATEMENT_TIMEOUT."""
    return type(exc.__cause__).__name__ == "QueryCanceled"


def _explain_missing_credentials(request, exc):
    """
    Credentials sent under another scheme (DRF's usual `Token`, `Basic`) are
    not ignored silently: the 401 says which scheme todoapp expects.
    """
    scheme = request.headers.get("Authorization", "").split(" ", 1)[0]
    if not scheme:
        return exc
    return exceptions.NotAuthenticated(
        f"Unsupported authorization scheme {printable(scheme)[:20]!r}: "
        "send 'Authorization: Bearer <token>'."
    )


def _is_api(request):
    return request.path.startswith("/api/")


def bad_request(request, exception, template_name=defaults.ERROR_400_TEMPLATE_NAME):
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return problem_response(413, RequestTooLarge().detail)
        return problem_response(400, "The request could not be understood.")
    return defaults.bad_request(request, exception, template_name)


def permission_denied(
    request, exception, template_name=defaults.ERROR_403_TEMPLATE_NAME
):
    if _is_api(request):
        return problem_response(
            403, "You do not have permission to perform this action."
        )
    return defaults.permission_denied(request, exception, template_name)


class PermanentRedirect(HttpResponseRedirect):
    """308: like 301, but the client repeats the method and body."""

    status_code = 308


def page_not_found(request, exception, template_name=defaults.ERROR_404_TEMPLATE_NAME):
    if _is_api(request):
        # API paths have no trailing slash; `todos/` means `todos`.
        trimmed = request.path_info.rstrip("/")
        if trimmed != request.path_info and is_valid_path(trimmed):
            return _trailing_slash_redirect(request, trimmed)
        return problem_response(404, f"No API resource at {request.path}.")
    return defaults.page_not_found(request, exception, template_name)


def _trailing_slash_redirect(request, path_info):
    path = request.path[: len(request.path) - len(request.path_info)] + path_info
    query = request.META.get("QUERY_STRING", "")
    location = f"{path}?{query}" if query else path
    response = PermanentRedirect(location)
    response.content = json.dumps(
        problem(308, f"API paths have no trailing slash: use {path}.")
    )
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
    return response


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    if _is_api(request):
        # Never any internals: the traceback is in the log, under the
        # X-Request-ID this response carries.
        return problem_response(500, "An unexpected error occurred.")
    return defaults.server_error(request, template_name)
