import datetime as dt

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts import ratelimit
from todoapp import idempotency
from todos.ledger import TodoStat, Tombstone


class Command(BaseCommand):
    help = (
        "Delete expired data: sessions (Django's clearsessions), finished "
        "rate-limit windows kept in the database, expired Idempotency-Keys, and "
        "change-feed tombstones older than TOMBSTONE_TTL. Run it daily."
    )

    def handle(self, *args, **options):
        call_command("clearsessions")
        counters = ratelimit.purge_expired()
        keys = idempotency.purge_expired()
        cutoff = timezone.now() - dt.timedelta(seconds=settings.TOMBSTONE_TTL)
        tombstones = Tombstone.objects.prune(older_than=cutoff)
        TodoStat.objects.filter(n=0).delete()  # counts back to zero
        self.stdout.write(
            f"Pruned expired sessions, {counters} rate-limit windows, "
            f"{keys} idempotency keys and {tombstones} tombstones."
        )
