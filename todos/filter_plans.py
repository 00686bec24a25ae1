"""
A filtered page of todos read by plans (api.compiled), one pair (the page,
its count) per combination of the list's filters and their values.

Django builds and compiles a filtered queryset for each request, and the
paginator compiles it a second time to count it: 5,500 of the 11,000
Python calls of a filtered list (`python -m bench.calls --only
list_filtered`). The SQL of most filters depends on nothing but the
values the request gives them, which clients repeat (the same screen asks
the same question), so the queryset built for one request is compiled
once, with the caller's id a placeholder, and serves every request (of any
user) with the same values. The request's filters are still validated
every time (TodoViewSet.filters): a plan is only looked up with values a
valid request gives.

Not planned: `overdue`, whose SQL holds today's date in the caller's time
zone, and `assignee=me`, which names the caller. Those requests go through
the ORM as before. todos/tests/test_filter_plans.py holds every filter's
plan to the ORM's queryset.
"""

import functools

from django_filters.constants import EMPTY_VALUES

from api.compiled import Plan, Slices
from todos import access
from todos.models import Todo

# Combinations of filter values kept compiled per process, the least
# recently used dropped first; each holds two SQL strings of a few KB.
PLANS_KEPT = 256


def planned_rows(filters, user, hide_archived):
    """
    The todos of `user` the validated TodoFilter `filters` selects (without
    archived lists' if `hide_archived`), in its order, as a paginator takes
    them; or None when one of its filters cannot be planned.
    """
    key = _values(filters.form.cleaned_data)
    if key is None:
        return None
    page, counting = _plans(Todo.objects.db, access.shares(user), hide_archived, key)
    return Slices(page, [user.pk], counting=counting)


def _values(cleaned_data):
    """
    The filters given and their values, in the order django-filter applies
    them, hashable; None if one of them reads more than its value.
    """
    given = []
    for name, value in cleaned_data.items():
        if value in EMPTY_VALUES:  # as django_filters.Filter.filter() skips it
            continue
        if name == "overdue" or (name == "assignee" and value == "me"):
            return None
        given.append((name, tuple(value) if isinstance(value, list) else value))
    return tuple(given)


@functools.lru_cache(maxsize=PLANS_KEPT)
def _plans(alias, shares, hide_archived, values):
    from todos.filters import TodoFilter

    # As TodoViewSet.get_queryset() and filter_queryset() build it, with the
    # caller a placeholder. Request ids cannot be taken for it: they have at
    # most 18 digits (todos.filters._ID), the placeholders 19.
    rows = access.seen_by_id(Todo.objects.using(alias), Plan.arg(0), shares)
    if hide_archived:
        rows = rows.filter(list__archived=False)
    filters = TodoFilter(queryset=rows).filters
    for name, value in values:
        rows = filters[name].filter(rows, value)
    return Plan(rows), Plan(rows.order_by().values_list("pk"))
