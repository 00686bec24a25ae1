from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Delete expired data: expired Idempotency-Keys, sessions (Django's "
        "clearsessions), finished rate-limit windows kept in the database, and "
        "change-feed tombstones older than TOMBSTONE_TTL. Run it daily."
    )

    def handle(self, *args, **options):
        # Each app prunes its own data (its AppConfig.prune(), returning what
        # it did), so this shared command imports no app.
        done = [
            part
            for config in apps.get_app_configs()
            if hasattr(config, "prune")
            for part in config.prune()
        ]
        summary = ", ".join(done[:-1]) + f" and {done[-1]}" if done else "nothing"
        self.stdout.write(f"Pruned {summary}.")
