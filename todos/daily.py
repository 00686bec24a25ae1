"""
GET todos/stats/daily: per day of the user's calendar, how many todos were
completed (the completion history) and created. Two grouped queries,
whatever the number of days and of todos.
"""

import datetime as dt

from django.db.models import Count
from django.db.models.functions import TruncDate

from todos.models import Completion


def counts(user, todos, days):
    """
    [{"date", "completed", "created"}] for the `days` days up to today in
    `user`'s zone, oldest first, over `todos` (a filtered queryset).
    """
    zone = user.zoneinfo
    today = user.today()
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    done = (
        Completion.objects.filter(
            todo__in=todos.order_by().values("pk"), completed_at__gte=since
        )
        .annotate(day=TruncDate("completed_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("pk"))
    )
    made = (
        todos.order_by()
        .filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("pk"))
    )
    completed = {row["day"]: row["n"] for row in done}
    created = {row["day"]: row["n"] for row in made}
    return [
        {
            "date": day.isoformat(),
            "completed": completed.get(day, 0),
            "created": created.get(day, 0),
        }
        for day in (first + dt.timedelta(days=n) for n in range(days))
    ]
