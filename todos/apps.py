from django.apps import AppConfig


class TodosConfig(AppConfig):
    name = "todos"

    def periodic(self):
        """What the `worker` command runs every so often: due reminders."""
        from django.conf import settings

        from todos.reminder_delivery import run_due

        return [(settings.REMINDER_INTERVAL, run_due)]

    def prune(self):
        """
        `manage.py prune`: old tombstones, summary counts back at zero, and
        invitations past their expiry.
        """
        import datetime as dt

        from django.conf import settings
        from django.utils import timezone

        from todos.ledger import TodoStat, Tombstone
        from todos.lists import Invitation

        cutoff = timezone.now() - dt.timedelta(seconds=settings.TOMBSTONE_TTL)
        tombstones = Tombstone.objects.prune(older_than=cutoff)
        TodoStat.objects.filter(n=0).delete()
        expired, _ = Invitation.objects.filter(expires_at__lte=timezone.now()).delete()
        return [f"{tombstones} tombstones", f"{expired} expired invitations"]
