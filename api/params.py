"""Query parameters that hold numbers, checked one way everywhere."""

import re

from rest_framework.exceptions import NotFound, ValidationError

# ASCII digits only: str.isdigit() also accepts "²" and "①", which int()
# then refuses.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


def whole_number(params, name, default, minimum=1, maximum=None):
    """
    `params[name]` as an int within [minimum, maximum], `default` when absent
    or empty; anything else is a 400 naming the parameter.
    """
    raw = params.get(name)
    if raw in (None, ""):
        return default
    bounds = f"from {minimum} to {maximum}" if maximum else f"of at least {minimum}"
    if not _WHOLE_NUMBER.fullmatch(raw) or not (
        minimum <= int(raw) <= (maximum or int(raw))
    ):
        raise ValidationError({name: [f"Enter a whole number {bounds}."]})
    return int(raw)


def path_id(text, what):
    """
    An id from the URL path as an int, or a 404 naming `what`: what cannot
    be an id (not ASCII digits, or longer than a 64-bit id) names no row,
    and must not reach a database that would overflow on it.
    """
    text = str(text)
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 18):
        raise NotFound(f"No {what} matches the given query.")
    return int(text)
