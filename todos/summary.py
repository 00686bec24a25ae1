"""
The stats summary: per-user counts kept up to date by every write, so that
GET todos/stats without filters reads a few dozen rows instead of
aggregating all of a user's todos (for a user with 100,000 todos: about
80 ms of aggregation in PostgreSQL, against about 1 ms; README, Performance).

A todo counts once under ("priority", its priority), once under ("due", its
due date) if it has one, and once under ("tag", name) per tag, each split by
`completed`. Every write applies the difference between a todo's counts
before and after (todos.ledger), in the write's transaction and under the
owner's write lock, so the summary equals the live aggregates at every
commit; todos/tests/test_ledger.py holds it to that.
"""

import functools
from collections import Counter

from django.db.models import Count

from api.compiled import Plan
from todos import access
from todos.ledger import TodoStat, TodoTag, iso_day
from todos.models import Todo, due_on_condition, overdue_condition
from todos.priority import Priority
from todos.stats import stats_body


def rebuild(owner_ids=None, models=None):
    """
    Recompute the summary from the todos (all owners, or these). `models`
    (Todo, TodoTag, TodoStat) lets a migration pass its historical ones.
    """
    todo_model, tag_model, stat_model = models or (Todo, TodoTag, TodoStat)
    todos = todo_model.objects.all()
    tags = tag_model.objects.all()
    stats = stat_model.objects.all()
    if owner_ids is not None:
        todos = todos.filter(owner_id__in=owner_ids)
        tags = tags.filter(owner_id__in=owner_ids)
        stats = stats.filter(owner_id__in=owner_ids)
    stats.delete()
    labels = {priority.value: priority.label for priority in Priority}
    rows = [
        stat_model(
            owner_id=row["owner_id"],
            list_id=row["list_id"],
            dimension="priority",
            value=labels[row["priority"]],
            completed=row["completed"],
            n=row["n"],
        )
        for row in todos.values(
            "owner_id", "list_id", "priority", "completed"
        ).annotate(n=Count("pk"))
    ]
    rows += [
        stat_model(
            owner_id=row["owner_id"],
            list_id=row["list_id"],
            dimension="due",
            value=iso_day(row["due_date"]),
            completed=row["completed"],
            n=row["n"],
        )
        for row in todos.filter(due_date__isnull=False, due_time__isnull=True)
        .values("owner_id", "list_id", "due_date", "completed")
        .annotate(n=Count("pk"))
    ]
    rows += [
        stat_model(
            owner_id=row["owner_id"],
            list_id=row["list_id"],
            dimension="timed",
            value="",
            completed=row["completed"],
            n=row["n"],
        )
        for row in todos.filter(due_date__isnull=False, due_time__isnull=False)
        .values("owner_id", "list_id", "completed")
        .annotate(n=Count("pk"))
    ]
    rows += [
        stat_model(
            owner_id=row["owner_id"],
            list_id=row["todo__list_id"],
            dimension="tag",
            value=row["name"],
            completed=row["todo__completed"],
            n=row["n"],
        )
        for row in tags.values(
            "owner_id", "todo__list_id", "name", "todo__completed"
        ).annotate(n=Count("pk"))
    ]
    stat_model.objects.bulk_create(rows, batch_size=2000)


def stats_of(user, today, hide_archived=False):
    """
    The stats of all of `user`'s todos (but those in archived lists, with
    `hide_archived`), from the summary: one small query.
    """
    day = today
    today = today.isoformat()
    totals = Counter()
    timed_open = 0
    by_priority = {priority.label: Counter() for priority in Priority}
    by_tag = {}
    overdue = due_today = 0
    rows = _summary_rows(TodoStat.objects.db, access.shares(user), hide_archived)
    for dimension, value, completed, n in rows.fetch(user.pk):
        if dimension == "priority":
            group = by_priority[value]
            totals["total"] += n
        elif dimension == "tag":
            group = by_tag.setdefault(value, Counter())
        elif dimension == "timed":
            timed_open += 0 if completed else n
            continue
        else:
            if not completed:
                overdue += n if value < today else 0
                due_today += n if value == today else 0
            continue
        group["total"] += n
        group["completed"] += n if completed else 0
        totals["completed"] += n if completed and dimension == "priority" else 0
    if timed_open:
        # Timed todos are overdue by the instant, due today by the user's
        # hours: counted from the todos (an index on their instants), and
        # only for a user who has open ones.
        timed = access.seen_by(Todo.objects.filter(due_at__isnull=False), user)
        if hide_archived:
            timed = timed.filter(list__archived=False)
        counts = timed.order_by().aggregate(
            overdue=Count("pk", filter=overdue_condition(day)),
            today=Count("pk", filter=due_on_condition(day, user.zoneinfo)),
        )
        overdue += counts["overdue"]
        due_today += counts["today"]
    return stats_body(
        total=totals["total"],
        completed=totals["completed"],
        overdue=overdue,
        due_today=due_today,
        by_priority=by_priority,
        by_tag=by_tag,
    )


@functools.cache
def _summary_rows(alias, shares, hide_archived):
    """
    The summary rows a user sees (stats_of()), compiled once per shape
    (api.compiled): building and compiling it through the ORM was a fifth
    of a stats request's Python calls (3,998 of them; 3,112 with the plan).
    todos/tests/test_compiled_reads.py holds it to the ORM.
    """
    stats = TodoStat.objects.using(alias).filter(n__gt=0)
    rows = access.seen_by_id(stats, Plan.arg(0), shares)
    if hide_archived:
        rows = rows.filter(list__archived=False)
    return Plan(rows.values_list("dimension", "value", "completed", "n"))
