"""
Recurring todos: an RFC 5545 recurrence rule (`FREQ=WEEKLY;BYDAY=MO,WE`),
read by python-dateutil's rrule, whose first occurrence is the todo's due
date (and time) when the rule was set (`recurrence_start`).

Occurrences are wall-clock dates and times (naive), turned into instants in
the todo's zone afterwards (todos.due): a todo due daily at 09:00 in Paris
stays at 09:00 there across a change of summer time.

Each search looks a bounded span ahead (HORIZON): a rule that matches
nothing (FEBRUARY 30th) must not cost an iteration per day up to year 9999.
"""

import datetime as dt

from dateutil import rrule

# The parts a rule may have, by frequency (RFC 5545 3.3.10): each filter
# a frequency takes leaves an occurrence within a few of its periods, or
# (February 30th) none, found out within PERIODS periods.
COMMON = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"}
PARTS = {
    "DAILY": COMMON | {"BYDAY"},
    "WEEKLY": COMMON | {"BYDAY"},
    "MONTHLY": COMMON | {"BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS"},
    "YEARLY": COMMON | {"BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS"},
}
# How many periods ahead (of the rule's interval) an occurrence is looked
# for: a month of days, a year of weeks, two years of months, nine years
# (February 29th). dateutil spends about a millisecond on a period with
# no occurrence, so a rule that has none costs at most a few dozen.
PERIODS = {"DAILY": 31, "WEEKLY": 53, "MONTHLY": 24, "YEARLY": 9}
PERIOD = {
    "DAILY": dt.timedelta(days=1),
    "WEEKLY": dt.timedelta(weeks=1),
    "MONTHLY": dt.timedelta(days=31),
    "YEARLY": dt.timedelta(days=366),
}
MAX_LENGTH = 300
MAX_INTERVAL = 1000
MAX_COUNT = 10_000


class InvalidRule(ValueError):
    pass


def _parts(text):
    if not isinstance(text, str) or not text or len(text) > MAX_LENGTH:
        raise InvalidRule(f"A recurrence rule of 1 to {MAX_LENGTH} characters.")
    parts = {}
    for item in text.upper().split(";"):
        name, _, value = item.partition("=")
        if not value or name in parts:
            raise InvalidRule(f"Not a rule part: {item!r}.")
        parts[name] = value
    if parts.get("UNTIL", "").endswith("Z"):
        # Occurrences are wall-clock times: UNTIL is read as one too.
        parts["UNTIL"] = parts["UNTIL"][:-1]
    frequency = parts.get("FREQ")
    if frequency not in PARTS:
        raise InvalidRule(
            f"FREQ must be one of {', '.join(PARTS)} (not more often than daily)."
        )
    unknown = set(parts) - PARTS[frequency]
    if unknown:
        raise InvalidRule(
            f"FREQ={frequency} takes {', '.join(sorted(PARTS[frequency] - {'FREQ'}))}"
            f", not {', '.join(sorted(unknown))}."
        )
    for name, limit in (("INTERVAL", MAX_INTERVAL), ("COUNT", MAX_COUNT)):
        value = parts.get(name)
        if value is not None and not (value.isdigit() and 0 < int(value) <= limit):
            raise InvalidRule(f"{name} must be a whole number from 1 to {limit}.")
    return parts


class Rule:
    """A parsed rule from its first occurrence `start` (a naive datetime)."""

    def __init__(self, text, start):
        parts = _parts(text)
        self.frequency = parts["FREQ"]
        self.count = int(parts.pop("COUNT")) if "COUNT" in parts else None
        self.interval = int(parts.get("INTERVAL", "1"))
        self.start = start
        source = ";".join(f"{name}={value}" for name, value in parts.items())
        try:
            self.rule = rrule.rrulestr(source, dtstart=start)
        except (ValueError, TypeError, OverflowError) as exc:
            raise InvalidRule(f"Not a recurrence rule: {exc}.") from None

    def next_after(self, moment, inclusive=False):
        """
        The first occurrence after `moment` (or at it), or None: the rule is
        exhausted (COUNT, UNTIL) or has none within PERIODS periods.
        """
        span = PERIOD[self.frequency] * self.interval * PERIODS[self.frequency]
        end = max(moment, self.start) + span
        until = self.rule._until
        bounded = self.rule.replace(until=end if until is None else min(until, end))
        for index, occurrence in enumerate(bounded):
            if self.count is not None and index >= self.count:
                return None
            if occurrence > moment or (inclusive and occurrence == moment):
                return occurrence
        return None


def check(text, start):
    """Raise InvalidRule unless `text` is a rule with an occurrence from `start`."""
    if Rule(text, start).next_after(start, inclusive=True) is None:
        raise InvalidRule("This rule has no occurrence from the due date on.")


def start_of(due_date, due_time):
    return dt.datetime.combine(due_date, due_time or dt.time())


def next_occurrence(todo, now, zone_name):
    """
    Where `todo` goes when completed at `now` (its wall times in zone
    `zone_name`), or None when its rule has no more occurrences.

    Basis "due": the first occurrence after its current due that is also
    after today (all-day) or after now (timed), so that a todo done late
    lands on the next day of its schedule, never in the past nor on today.
    Basis "completion": the rule applied from the day it was done, at its
    time of day.
    """
    from todos import due

    local_now = now.astimezone(due.zone(zone_name)).replace(tzinfo=None)
    if todo.recurrence_basis == "completion":
        start = start_of(local_now.date(), todo.due_time)
        return Rule(todo.recurrence, start).next_after(start)
    start = (
        dt.datetime.fromisoformat(todo.recurrence_start)
        if todo.recurrence_start
        else start_of(todo.due_date, todo.due_time)
    )
    current = start_of(todo.due_date, todo.due_time)
    if todo.due_time is None:  # all day: after the whole of today
        floor = dt.datetime.combine(local_now.date(), dt.time.max)
    else:
        floor = local_now
    return Rule(todo.recurrence, start).next_after(max(current, floor))
