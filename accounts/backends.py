# The authentication backend's dotted path as sessions store it
# (BACKEND_SESSION_KEY in every signed-in session, AUTHENTICATION_BACKENDS):
# kept so that sessions signed in before it moved stay valid. It lives, with
# the rest of the path a request takes to its user, in accounts.sessions.
from accounts.sessions import SessionUserBackend

__all__ = ["SessionUserBackend"]
