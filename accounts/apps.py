from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from accounts import schema  # noqa: F401  (registers the OpenAPI auth schemes)

    def prune(self):
        """`manage.py prune`: expired sessions, rate-limit windows and links."""
        from django.core.management import call_command

        from accounts import links, ratelimit

        call_command("clearsessions")
        return [
            "expired sessions",
            f"{ratelimit.purge_expired()} rate-limit windows",
            f"{links.prune()} expired account links and sign-in challenges",
        ]
