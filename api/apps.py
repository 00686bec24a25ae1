from django.apps import AppConfig


class ApiConfig(AppConfig):
    """
    The API machinery the apps share: errors, schema, fields, pagination,
    conditional requests, idempotency, the request log, health and pruning.
    It imports no app.
    """

    name = "api"
    # The label it had as the project package: its migrations, tables
    # (todoapp_idempotencykey) and migration history keep their names.
    label = "todoapp"
    verbose_name = "API"

    def prune(self):
        from api import idempotency

        return [f"{idempotency.purge_expired()} idempotency keys"]
