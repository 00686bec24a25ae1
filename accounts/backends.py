"""The authentication backend: Django's ModelBackend, minus a query per request."""

from contextvars import ContextVar

from django.contrib.auth.backends import ModelBackend

# The user (with their sync state) that accounts.sessions.SessionStore.load()
# read in the same query as the session it is loading.
loaded_with_session = ContextVar("loaded_with_session", default=None)


class SessionUserBackend(ModelBackend):
    """
    ModelBackend, except that get_user() takes the user the session store has
    just loaded with the session (one joined query) instead of querying
    again. django.contrib.auth.get_user() still does everything else: the
    backend check, is_active, and the session's auth-hash check.
    """

    def get_user(self, user_id):
        user = loaded_with_session.get()
        if user is None or str(user.pk) != str(user_id):
            return super().get_user(user_id)
        return user if self.user_can_authenticate(user) else None
