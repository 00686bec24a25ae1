"""
One JSON line per request: method, path, status, duration, user and a request
id that is also sent back in `X-Request-ID` (and that every other log line
written while the request runs carries too).

Written here rather than taken from django_structlog, which this replaced:
its middleware sends four signals, formats each request twice (once for a
`request_started` line that INFO drops) and passes the line through
structlog's processor chain and then stdlib logging's formatter: 380 Python
calls of a list request's 4,900 (`python -m bench.calls`). This builds the
line once and its formatter only dumps it: about 60. Every other log record
still goes through structlog's JSON formatter (settings.LOGGING).
"""

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime

import structlog
from django.core.signals import got_request_exception
from django.utils.functional import empty

logger = logging.getLogger(__name__)

# An upstream id (from a load balancer or client) is adopted only if it is a
# short plain token, so it cannot smuggle anything into logs or headers.
_UPSTREAM_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Query parameters that carry secrets (the token of a mailed link, as the
# page it opens is requested): logged as `token=[redacted]`.
_SECRET_PARAMETER = re.compile(r"(?<=[?&])(token)=[^&]*")


class RequestLogMiddleware:
    """Outermost, so the line covers the whole stack and every answer."""

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(
            _note_failure, dispatch_uid="api.request_log.note_failure"
        )

    def __call__(self, request):
        started = time.perf_counter()
        upstream = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = (
            upstream if _UPSTREAM_REQUEST_ID.fullmatch(upstream) else str(uuid.uuid4())
        )
        bound = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            _log(request, request_id, response.status_code, started)
        finally:
            structlog.contextvars.reset_contextvars(**bound)
        return response


def _note_failure(sender, request=None, **kwargs):
    """
    Django's signal for an exception nothing handled (never a 404 or 403),
    sent while Django handles it: kept for the request's line.
    """
    if request is not None:
        request._log_exception = sys.exc_info()[1]


def _log(request, request_id, status, started):
    exception = request.__dict__.pop("_log_exception", None)
    if exception is not None:
        # An unhandled exception: this `request_failed` line, with its
        # traceback, is the request's one line.
        event, level, status = "request_failed", logging.ERROR, 500
    else:
        event = "request_finished"
        level = logging.ERROR if status >= 500 else logging.INFO
    if not logger.isEnabledFor(level):
        return
    line = {
        "event": event,
        "request_id": request_id,
        "user_id": _user_id(request),
        "request": _described(request),
        "method": request.method,
        "path": request.path,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    if exception is not None:
        line["exception"] = "".join(traceback.format_exception(exception)).rstrip()
    logger.log(level, line)


def _user_id(request):
    """
    The signed-in user's id, if the request found out who it was: a user
    nobody asked for (a lazy one still unresolved) is not looked up just to
    be logged.
    """
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk


def _described(request):
    """`GET /path?query`, minus secrets."""
    described = f"{request.method} {request.get_full_path()}"
    if "token=" in described:
        described = _SECRET_PARAMETER.sub(r"\1=[redacted]", described)
    return described


class JsonFormatter(structlog.stdlib.ProcessorFormatter):
    """
    structlog's JSON formatter for every log record (settings.LOGGING), but
    the request's line, a finished dict already, is only stamped and dumped.
    """

    def format(self, record):
        if record.name != __name__ or not isinstance(record.msg, dict):
            return super().format(record)
        return json.dumps(
            {
                **record.msg,
                # As structlog's TimeStamper(fmt="iso") stamps the others.
                "timestamp": datetime.fromtimestamp(record.created, UTC)
                .isoformat()
                .replace("+00:00", "Z"),
                "logger": record.name,
                "level": record.levelname.lower(),
            },
            default=str,
        )
