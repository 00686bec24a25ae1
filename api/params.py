"""Query parameters that hold numbers, checked one way everywhere."""

import re

from rest_framework.exceptions import ValidationError

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
