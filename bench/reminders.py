"""
The reminder scheduler's tick on the large data set (`python -m bench.reminders`,
after `python -m bench.run --scale large`; `make bench` runs it): 1,000,000
todos, 100,000 armed reminders spread over the next 30 days, and what one
worker's tick costs when nothing is due and when a full batch is.

Measured in this process, on the worker's own code (todos.reminder_delivery)
against the benchmark's PostgreSQL; mail goes to Django's in-memory backend,
so the figures are the scheduler's, not an SMTP server's. The armed rows are
written straight into the table for the run and removed after it.
"""

import datetime as dt
import json
import random
import statistics
import time

from bench.run import RESULTS, database_url, ensure_database, setup_django

ARMED = 100_000
IDLE_ROUNDS = 200
BUSY_ROUNDS = 10


def main():
    url = database_url("large")
    ensure_database(url)
    setup_django(url)
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.seed import seed
    from todos import reminder_delivery
    from todos.models import Todo
    from todos.reminders import Reminder

    seed("large")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    rng = random.Random(20261201)
    Reminder.objects.all().delete()
    todo_count = Todo.objects.count()
    ids = list(
        Todo.objects.filter(completed=False)
        .order_by("?")
        .values_list("pk", "owner_id")[:ARMED]
    )
    now = timezone.now()

    def armed(pk, owner, position, fires):
        return Reminder(
            todo_id=pk,
            position=position,
            recipient_id=owner,
            fires_at=fires,
            next_attempt_at=fires,
        )

    month = 30 * 86400
    Reminder.objects.bulk_create(
        [
            armed(pk, owner, 0, now + dt.timedelta(seconds=rng.randint(60, month)))
            for pk, owner in ids
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE todos_reminder")

    def timed(rounds, before_each=None):
        spent, queries = [], []
        for _ in range(rounds):
            if before_each:
                before_each()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                reminder_delivery.deliver_batch()
                spent.append((time.perf_counter() - started) * 1000)
            queries.append(len(captured))
        return spent, queries

    idle_ms, idle_queries = timed(IDLE_ROUNDS)

    def arm_a_batch():
        # A batch's worth of the armed reminders come due (position 1, so
        # they sit beside the later ones of the same todos).
        due = rng.sample(ids, reminder_delivery.BATCH)
        Reminder.objects.bulk_create(
            [armed(pk, owner, 1, timezone.now()) for pk, owner in due],
            ignore_conflicts=True,
        )

    busy_ms, busy_queries = timed(BUSY_ROUNDS, arm_a_batch)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM todos_reminder "
            "WHERE next_attempt_at <= now() ORDER BY next_attempt_at "
            "LIMIT 50 FOR UPDATE SKIP LOCKED"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    armed_count = Reminder.objects.count()
    Reminder.objects.all().delete()

    result = {
        "todos": todo_count,
        "armed_reminders": armed_count,
        "batch": reminder_delivery.BATCH,
        "idle_tick": {
            "rounds": IDLE_ROUNDS,
            "p50_ms": round(statistics.median(idle_ms), 3),
            "p99_ms": round(sorted(idle_ms)[int(IDLE_ROUNDS * 0.99) - 1], 3),
            "queries": max(idle_queries),
        },
        "busy_tick": {
            "rounds": BUSY_ROUNDS,
            "p50_ms": round(statistics.median(busy_ms), 2),
            "ms_per_reminder": round(
                statistics.median(busy_ms) / reminder_delivery.BATCH, 3
            ),
            "queries": max(busy_queries),
        },
        "take_plan": plan,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reminders.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"== reminder tick: {todo_count:,} todos, {armed_count:,} armed reminders\n"
        f"  idle tick  p50 {result['idle_tick']['p50_ms']} ms"
        f"  p99 {result['idle_tick']['p99_ms']} ms"
        f"  {result['idle_tick']['queries']} query\n"
        f"  tick of {result['batch']} due  p50 {result['busy_tick']['p50_ms']} ms"
        f"  ({result['busy_tick']['ms_per_reminder']} ms each)"
        f"  {result['busy_tick']['queries']} queries\n"
        f"{plan}"
    )


if __name__ == "__main__":
    main()
