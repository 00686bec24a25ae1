from django.apps import AppConfig


class TodosConfig(AppConfig):
    name = "todos"

    def prune(self):
        """`manage.py prune`: old tombstones, and summary counts back at zero."""
        import datetime as dt

        from django.conf import settings
        from django.utils import timezone

        from todos.ledger import TodoStat, Tombstone

        cutoff = timezone.now() - dt.timedelta(seconds=settings.TOMBSTONE_TTL)
        tombstones = Tombstone.objects.prune(older_than=cutoff)
        TodoStat.objects.filter(n=0).delete()
        return [f"{tombstones} tombstones"]
