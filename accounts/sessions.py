"""
Sign-in sessions: Django's session framework, carried two ways.

One server-side session per sign-in, stored in accounts.Session. Its key is
256 random bits; the database keeps only the key's SHA-256. Browsers carry the
key in Django's session cookie (CSRF-checked); REST clients send the same key
as `Authorization: Bearer <key>`. Both carriers resolve the user through
`django.contrib.auth.get_user`, with its session-hash check, so signing out,
expiry, a password change or deactivation ends a session on either carrier.

Lifetime: SESSION_COOKIE_AGE (SESSION_TTL) from sign-in, moved forward when a
session is used more than SESSION_REFRESH_AGE after its expiry was last set.

This is `SESSION_ENGINE`, so `manage.py clearsessions` prunes expired rows.
Sync (WSGI) only: the async session methods are not provided.
"""

import hashlib
import secrets
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.contrib import auth
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.middleware import (
    SessionMiddleware as DjangoSessionMiddleware,
)
from django.db import IntegrityError, router, transaction
from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts import tokens
from accounts.backends import loaded_with_session
from accounts.client import client_info
from accounts.models import ApiToken
from accounts.session_lookup import find_session

API_TOKEN_PREFIX = ApiToken.PREFIX

# `last_used_at` is kept to this precision, so a busy session is written to at
# most once a minute rather than on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(session_key):
    return hashlib.sha256(session_key.encode()).hexdigest()


class SessionStore(DatabaseSessionStore):
    """Django's database session store, keeping only a hash of each key."""

    def __init__(self, session_key=None, *, user_agent="", ip=None):
        super().__init__(session_key)
        self.user_agent = user_agent
        self.ip = ip
        self._expiry = None

    @classmethod
    def get_model_class(cls):
        from accounts.models import Session

        return Session

    def _get_new_session_key(self):
        # 256 bits: the key is also the bearer token, so it must never look
        # like an API token.
        while True:
            key = secrets.token_urlsafe(32)
            if not key.startswith(API_TOKEN_PREFIX):
                return key

    def _get_session_from_db(self):
        # The user and their sync state come along in the same query: see
        # accounts.backends.SessionUserBackend.
        row = find_session(hash_key(self.session_key), timezone.now())
        if row is None:
            self._session_key = None
        return row

    def load(self):
        row = self._get_session_from_db()
        loaded_with_session.set(row.user if row is not None else None)
        if row is None:
            return {}
        self._note_use(row)
        return self.decode(row.session_data)

    def _note_use(self, row):
        """Slide the expiry forward, or record the use, when due."""
        now = timezone.now()
        age = timedelta(seconds=self.get_session_cookie_age())
        refresh_age = timedelta(seconds=settings.SESSION_REFRESH_AGE)
        if row.expire_date - now < age - refresh_age:
            self._expiry = now + age
            self.model.objects.filter(pk=row.pk).update(
                expire_date=self._expiry, last_used_at=now
            )
            # The cookie carrier's Max-Age moves too: the session middleware
            # re-sends the cookie for a modified session.
            self.modified = True
            return
        self._expiry = row.expire_date
        if now - row.last_used_at >= LAST_USED_RESOLUTION:
            self.model.objects.filter(pk=row.pk).update(last_used_at=now)

    def get_expiry_date(self, **kwargs):
        # Fixed once per request, so the `expires_at` a view reports is the
        # one the middleware stores.
        if self._expiry is None:
            self._expiry = timezone.now() + timedelta(
                seconds=self.get_session_cookie_age()
            )
        return self._expiry

    def get_expiry_age(self, **kwargs):
        return max(0, int((self.get_expiry_date() - timezone.now()).total_seconds()))

    def exists(self, session_key):
        return self.model.objects.filter(key_hash=hash_key(session_key)).exists()

    def create(self):
        # A new session gets a full lifetime of its own, never its
        # predecessor's (cycle_key() creates through here).
        self._expiry = None
        self._session_key = self._get_new_session_key()
        self.save(must_create=True)
        self.modified = True

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        fields = {
            "session_data": self.encode(data),
            "expire_date": self.get_expiry_date(),
            "user_id": data.get(auth.SESSION_KEY),
        }
        key_hash = hash_key(self.session_key)
        using = router.db_for_write(self.model)
        if must_create:
            try:
                with transaction.atomic(using=using):
                    self.model.objects.using(using).create(
                        key_hash=key_hash,
                        user_agent=self.user_agent,
                        ip=self.ip,
                        **fields,
                    )
            except IntegrityError as exc:
                raise CreateError from exc
            return
        updated = (
            self.model.objects.using(using)
            .filter(key_hash=key_hash)
            .update(last_used_at=timezone.now(), **fields)
        )
        if not updated:
            raise UpdateError

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        if session_key is not None:
            self.model.objects.filter(key_hash=hash_key(session_key)).delete()

    def row(self):
        """This session's database row (None once it has ended)."""
        if self.session_key is None:
            return None
        return self.model.objects.filter(key_hash=hash_key(self.session_key)).first()


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, telling each session who opened it."""

    def process_request(self, request):
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        request.session = SessionStore(session_key, **client_info(request))


class BearerSessionAuthentication(authentication.BaseAuthentication):
    """
    `Authorization: Bearer <token>`: a session key, or a personal API token
    (recognised by its prefix; see accounts.tokens).
    """

    keyword = "Bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: expected 'Bearer <token>'."
            )
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return self.authenticate_token(request, token)

    def authenticate_token(self, request, token):
        if token.startswith(API_TOKEN_PREFIX):
            return tokens.authenticate(token)
        session = SessionStore(token, **client_info(request._request))
        # get_user() reads only `.session`: the bearer session is resolved
        # exactly as the cookie's is, hash check included.
        user = auth.get_user(SimpleNamespace(session=session))
        if not user.is_authenticated:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        return user, session

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class CookieSessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (CSRF enforced); `request.auth` is the session."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        return result[0], request._request.session


def start_session(request, user):
    """
    Sign `user` in on a fresh session and return it; its key is the token.

    Every sign-in gets a new key and a full lifetime. A signed-in session the
    request's cookie already carries stays alive beside the new one (a client
    that keeps cookies and signs in twice holds two working sessions; signing
    in never ends one the caller did not ask to end); an anonymous one is
    discarded (no fixation). login() then rotates the CSRF token; the
    middleware sets both cookies, to the new session.
    """
    if request.session.get(auth.SESSION_KEY) is not None:
        # On the HttpRequest, which the session middleware saves from.
        http_request = getattr(request, "_request", request)
        http_request.session = SessionStore(None, **client_info(http_request))
    elif not request.session.is_empty():
        request.session.flush()
    auth.login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    return request.session


def current_session(request):
    """The session that authenticated this DRF request, whichever carrier."""
    return request.auth if isinstance(request.auth, SessionStore) else None


def end_session(request):
    session = current_session(request)
    if session is not None:
        session.flush()


def revoke_sessions(user, keep=None):
    """End every session of `user`, except `keep` if given."""
    sessions = SessionStore.get_model_class().objects.for_user(user)
    if keep is not None:
        sessions = sessions.exclude(key_hash=hash_key(keep.session_key))
    sessions.delete()


def renew_auth_hash(session, user):
    """
    Keep `session` signed in after `user`'s password changed, under the same
    key (Django's update_session_auth_hash() would rotate it, and with it the
    bearer token the client holds).
    """
    session[auth.HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
