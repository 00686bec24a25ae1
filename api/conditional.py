"""
Conditional requests (RFC 9110, section 13): If-Match and If-None-Match.

Django's get_conditional_response() implements these rules but answers with
its own bodiless 412; the comparisons are small enough to state here and
answer 412 as a problem document.
"""

from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.response import Response

from api.exceptions import PreconditionFailed


def _strong(etags):
    return {etag for etag in etags if not etag.startswith("W/")}


def if_match_passes(header, etag):
    """Strong comparison (RFC 9110 13.1.1); an absent header passes."""
    if header is None:
        return True
    etags = parse_etags(header)
    return "*" in etags or etag in _strong(etags)


def require_if_match(request, etag):
    if not if_match_passes(request.headers.get("If-Match"), etag):
        raise PreconditionFailed()


def not_modified(request, etag):
    """A 304 answer if If-None-Match matches `etag` (weak comparison), else None."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return None
    etags = {tag.removeprefix("W/") for tag in parse_etags(header)}
    if "*" in etags or etag in etags:
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return None
