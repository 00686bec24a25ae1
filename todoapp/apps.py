from django.apps import AppConfig


class TodoappConfig(AppConfig):
    """The project package as an app: API plumbing shared by accounts and todos."""

    name = "todoapp"
    verbose_name = "todoapp"

    def ready(self):
        from . import request_log  # noqa: F401  (connects its receivers)
