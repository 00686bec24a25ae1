"""
When a todo is due: its date and, for a timed todo, a wall-clock time in a
time zone: its own (`due_timezone`), or none, floating: its owner's, which
it follows when they move. `due_at`, the instant, is stored (the overdue
filter, stats and ordering compare it) and kept by the ledger on every
write of the todo (todos.ledger), and here when an owner's zone changes.
"""

import datetime as dt
import functools
import zoneinfo


@functools.cache
def zone(name):
    return zoneinfo.ZoneInfo(name)


@functools.cache
def zone_names():
    return frozenset(zoneinfo.available_timezones())


def instant(due_date, due_time, zone_name):
    """
    The UTC instant of `due_time` on `due_date` in zone `zone_name`, or None
    for an all-day todo. A wall time that does not exist (the spring-forward
    gap) moves forward by the gap, and an ambiguous one (the fall-back hour)
    is its first occurrence: what a `fold` of 0 means (PEP 495).
    """
    if due_date is None or due_time is None:
        return None
    local = dt.datetime.combine(due_date, due_time, tzinfo=zone(zone_name))
    return local.astimezone(dt.UTC)


def day_bounds(day, zone):
    """The instants (UTC) where date `day` starts and ends in `zone`."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def follow_timezone(user):
    """
    After `user` changed time zone: their floating timed todos are due at
    another instant, each a change (in their own books: a todo's owner is
    whose zone it floats in).
    """
    from todos import ledger
    from todos.models import Todo

    floating = Todo.objects.filter(
        owner=user, due_time__isnull=False, due_timezone__isnull=True
    )
    with ledger.writing(user.pk, changes=0) as book:
        book.knows(user)
        for todo in floating:
            book.save(todo, update_fields=["due_at"])
