"""
Completes django_structlog's per-request line: method, path, status, duration
and a request id that is also sent back in `X-Request-ID`.

django_structlog has no duration or response header of its own; it offers
these signals for exactly this kind of addition.
"""

import logging
import re
import time

import structlog
from django.dispatch import receiver
from django_structlog import signals
from django_structlog.middlewares.request import RequestMiddleware

# An upstream id (from a load balancer or client) is adopted only if it is a
# short plain token, so it cannot smuggle anything into logs or headers.
_UPSTREAM_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Query parameters that carry secrets (the token of a mailed link, as the
# page it opens is requested): logged as `token=[redacted]`.
_SECRET_PARAMETER = re.compile(r"(?<=[?&])(token)=[^&]*")


def _redacted(log_kwargs, request):
    """
    django_structlog's `request` (`GET /path?query`) with secrets replaced;
    the common query without any is left as it is, at no cost.
    """
    if "request" in log_kwargs and "token=" in request.META.get("QUERY_STRING", ""):
        log_kwargs["request"] = _described(request)


def _described(request):
    """`GET /path?query`, as django_structlog logs it, minus secrets."""
    return _SECRET_PARAMETER.sub(
        r"\1=[redacted]", f"{request.method} {request.get_full_path()}"
    )


@receiver(signals.bind_extra_request_metadata, sender=RequestMiddleware)
def start_request_clock(request, logger, log_kwargs, **kwargs):
    request._log_started = time.perf_counter()
    _redacted(log_kwargs, request)
    upstream = request.headers.get("X-Request-ID", "")
    if _UPSTREAM_REQUEST_ID.fullmatch(upstream):
        structlog.contextvars.bind_contextvars(request_id=upstream)


class OneLinePerRequest(logging.Filter):
    """
    Drops django_structlog's `streaming_started`/`streaming_finished` lines:
    a streamed answer (a static file) is already its `request_finished` line.
    Failures while streaming are still logged.
    """

    SKIPPED = {"streaming_started", "streaming_finished"}

    def filter(self, record):
        event = record.msg.get("event") if isinstance(record.msg, dict) else None
        return event not in self.SKIPPED


def _request_fields(request, status):
    started = getattr(request, "_log_started", None)
    return {
        "method": request.method,
        "path": request.path,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2)
        if started
        else None,
    }


def _send_request_id(response):
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        response["X-Request-ID"] = request_id


@receiver(signals.bind_extra_request_finished_metadata, sender=RequestMiddleware)
def describe_finished_request(request, logger, response, log_kwargs, **kwargs):
    log_kwargs.pop("code", None)  # the same as `status`
    log_kwargs.update(_request_fields(request, response.status_code))
    _redacted(log_kwargs, request)
    _send_request_id(response)


@receiver(signals.bind_extra_request_failed_metadata, sender=RequestMiddleware)
def describe_failed_request(request, logger, exception, log_kwargs, **kwargs):
    # An unhandled exception: this `request_failed` line, with its traceback,
    # is the request's one line; no `request_finished` follows.
    log_kwargs.pop("code", None)
    log_kwargs.update(_request_fields(request, 500))
    _redacted(log_kwargs, request)


@receiver(signals.update_failure_response, sender=RequestMiddleware)
def tag_failed_response(request, response, logger, exception, **kwargs):
    _send_request_id(response)
