"""
Manual order: a todo's (or a list's) `position` is a fractional key (the
fractional-indexing package): a string between its neighbours' keys, so a
move writes one row, and the order is the keys' byte order.

Byte order, not the database's: PostgreSQL sorts text by its collation
(en_US puts "a1" before "B0"), so the column is COLLATE "C" there; SQLite's
default BINARY collation already sorts bytes.
"""

from django.db import models
from fractional_indexing import generate_key_between, generate_n_keys_between

# Keys grow by about one character per six insertions at the same place;
# past this length the siblings are respaced (rare: it takes hundreds of
# moves into one gap).
MAX_POSITION_LENGTH = 64


class PositionField(models.CharField):
    """A fractional key, compared as bytes on every database."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_POSITION_LENGTH * 2)
        kwargs.setdefault("editable", False)
        super().__init__(**kwargs)

    def db_parameters(self, connection):
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


BASE_62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def integer_key(number, width):
    """
    fractional-indexing's key for integer `number` written with at least
    `width` base-62 digits: a head letter that says how many ("d" for 4, "e"
    for 5, ...), then the digits.
    """
    digits = ""
    while number:
        number, digit = divmod(number, 62)
        digits = BASE_62[digit] + digits
    digits = digits.rjust(width, "0")
    return chr(ord("a") + len(digits) - 1) + digits


def at_end(number):
    """
    The key of a todo put last among its siblings by change number `number`,
    with no look at the siblings: change numbers only grow under the owner's
    lock, so this key is after every key its group holds. Of 5 or more
    digits, it comes after every 4-digit key the lists migration gave
    (todos/migrations/0005_lists.py).
    """
    return integer_key(number, 5)


def between(before, after):
    """A key after `before` and before `after` (None: an open end)."""
    return generate_key_between(before, after)


def spaced(count, before=None, after=None):
    """`count` keys in order between `before` and `after`."""
    return generate_n_keys_between(before, after, count)


def fits(key):
    return len(key) <= MAX_POSITION_LENGTH


def respaced(rows, after):
    """
    Fresh, short keys for `rows` (in their order, each with a `position`),
    leaving a free key right after row `after` (None: first): sets each
    row's position and returns the free key. For a gap whose keys grew past
    MAX_POSITION_LENGTH (hundreds of moves into one place); the caller saves
    the rows.
    """
    keys = iter(spaced(len(rows) + 1))
    free = next(keys) if after is None else None
    for row in rows:
        row.position = next(keys)
        if after is not None and row.pk == after.pk:
            free = next(keys)
    return free
