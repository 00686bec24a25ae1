"""The API's only parser: JSON, with the body-size and nesting limits enforced."""

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from todoapp.exceptions import RequestTooLarge


class JSONParser(parsers.JSONParser):
    """
    DRF's JSON parser reads the request stream itself, so Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE (checked only by `request.body`) never applies:
    the limit is enforced here. Deeply nested documents raise RecursionError in
    the json module, which DRF would let through as a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH", "") if request is not None else ""
        if declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge(f"The request body exceeds {limit} bytes.")
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge(f"The request body exceeds {limit} bytes.")
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"JSON parse error - the body is not valid {encoding}."
            ) from exc
        try:
            return json.loads(text)
        except RecursionError:
            raise ParseError(
                "JSON parse error - the document is nested too deeply."
            ) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
