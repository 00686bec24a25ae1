"""The API's only parser: JSON."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """
    DRF's JSON parser, except that a document nested too deeply is a 400:
    the json module raises RecursionError there, which DRF lets through as a
    500. (The body-size limit needs nothing here: DRF reads the body through
    `request.body`, which enforces DATA_UPLOAD_MAX_MEMORY_SIZE.)
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                "JSON parse error - the document is nested too deeply."
            ) from None
