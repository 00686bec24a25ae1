"""A todo's tags: what one may contain, and how a list of them is stored."""

import re

from django.core.exceptions import ValidationError

MAX_TAGS = 20
MAX_TAG_LENGTH = 50

# What one tag may contain: no comma (it separates tags in the `tag=` filter)
# and no control characters (NUL cannot be stored by PostgreSQL), with at
# least one character that is not whitespace. The schema publishes it as the
# tags' `pattern` (todos.serializers), so clients and the server agree.
_TAG_CHAR = r"[^,\x00-\x1f\x7f-\x9f]"
_TAG_VISIBLE = r"[^,\s\x00-\x1f\x7f-\x9f]"
TAG_PATTERN = f"^{_TAG_CHAR}*{_TAG_VISIBLE}{_TAG_CHAR}*$"
_TAG = re.compile(TAG_PATTERN)


def normalise_tags(values):
    """
    Tags as stored: each trimmed and lower-cased, 1-50 characters matching
    TAG_PATTERN, duplicates dropped keeping the first; at most 20 entries.
    Raises ValidationError naming the position.

    The list's length is checked before any entry is looked at, so a hostile
    list of thousands costs nothing.
    """
    if not isinstance(values, list):
        raise ValidationError("Must be a list of strings.", code="not_a_list")
    if len(values) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags.", code="max_length")
    tags = {}  # a dict keeps the order given
    for position, value in enumerate(values):
        if not isinstance(value, str):
            raise ValidationError(f"Tag {position}: must be a string.", code="invalid")
        if not value.strip():
            raise ValidationError(f"Tag {position}: may not be blank.", code="blank")
        tag = value.strip().lower()
        # Lower-casing can lengthen a string ("İ" becomes two characters).
        if max(len(value), len(tag)) > MAX_TAG_LENGTH:
            raise ValidationError(
                f"Tag {position}: at most {MAX_TAG_LENGTH} characters.",
                code="max_length",
            )
        if not _TAG.fullmatch(value) or _has_lone_surrogate(value):
            raise ValidationError(
                f"Tag {position}: no commas or control characters.", code="invalid"
            )
        tags.setdefault(tag, None)
    return list(tags)


def _has_lone_surrogate(text):
    # Valid JSON (`"\ud800"`), yet not a character: it cannot be stored.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
