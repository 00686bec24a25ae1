from django.apps import AppConfig


class JobsConfig(AppConfig):
    """
    Background jobs on django-tasks (its database backend, django-tasks-db,
    or RQ with TASKS_BACKEND=redis: jobs.rq),
    with what that backend leaves to its users: retries with backoff
    (jobs.retry) and jobs whose worker died run again (the `worker` command).
    It imports no app.
    """

    name = "jobs"

    def prune(self):
        """`manage.py prune`: finished jobs older than JOB_RETENTION."""
        import datetime as dt

        from django.conf import settings
        from django.utils import timezone
        from django_tasks_db.models import DBTaskResult

        cutoff = timezone.now() - dt.timedelta(seconds=settings.JOB_RETENTION)
        deleted, _ = (
            DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
        )
        return [f"{deleted} finished jobs"]
