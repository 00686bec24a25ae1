from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts import ratelimit


class Command(BaseCommand):
    help = (
        "Delete expired data: sessions (Django's clearsessions) and finished "
        "rate-limit windows kept in the database. Run it daily, e.g. from cron."
    )

    def handle(self, *args, **options):
        call_command("clearsessions")
        counters = ratelimit.purge_expired()
        self.stdout.write(f"Pruned expired sessions and {counters} rate-limit windows.")
