"""
Sign-in sessions: Django's session framework, carried two ways, and the one
query that authenticates a request. Read top to bottom, a request goes:

1. Its key arrives in Django's session cookie (CSRF-checked;
   CookieSessionAuthentication) or as `Authorization: Bearer <key>`
   (BearerSessionAuthentication). Either way signed_in_user() resolves it.
2. signed_in_user() calls django.contrib.auth.get_user(), which does every
   check (backend, is_active, the session's auth hash, so signing out,
   expiry, a password change or deactivation ends a session on either
   carrier). Reading the session runs SessionStore.load(): find_session()
   fetches the live session by its key's hash, its user and the user's sync
   state, in one query.
3. get_user() then asks SessionUserBackend for the user by id; for the
   duration of that one call, signed_in_user() hands it the session, whose
   user came with it, so no second query is made.

One server-side session per sign-in, stored in accounts.Session. Its key is
256 random bits; the database keeps only the key's SHA-256. Lifetime:
SESSION_COOKIE_AGE (SESSION_TTL) from sign-in, moved forward when a session
is used more than SESSION_REFRESH_AGE after its expiry was last set.

This is `SESSION_ENGINE`, so `manage.py clearsessions` prunes expired rows.
Sync (WSGI) only: the async session methods are not provided.
"""

import functools
import secrets
from contextvars import ContextVar
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.middleware import (
    SessionMiddleware as DjangoSessionMiddleware,
)
from django.core import signing
from django.db import IntegrityError, connection, router, transaction
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from rest_framework import authentication, exceptions

from accounts import tokens
from accounts.client import client_info
from accounts.models import LAST_USED_RESOLUTION, ApiToken, Session, User, key_hash
from todos.ledger import SyncState

API_TOKEN_PREFIX = ApiToken.PREFIX

# --- 1. the one query --------------------------------------------------------
# Hand-written SQL, because the ORM spent about 0.5 ms of CPU compiling this
# select_related() query on every request, seven times what running it costs
# (`python -m bench.run`; README, Performance). The SQL is built once from
# the models' own fields, and rows become model instances as the ORM makes
# them: the database's converters, then Model.from_db(). A test pins it to
# the ORM's answer (accounts/tests/test_sessions.py).


@functools.cache
def _plan(vendor):
    quote = connection.ops.quote_name
    columns, parts = [], []
    for alias, model in (("s", Session), ("u", User), ("y", SyncState)):
        fields = model._meta.concrete_fields
        first = len(columns)
        converters = []
        for field in fields:
            column = field.get_col(alias)
            found = [
                *connection.ops.get_db_converters(column),
                *column.get_db_converters(connection),
            ]
            if found:
                converters.append((len(columns), found, column))
            columns.append(f"{alias}.{quote(field.column)}")
        attnames = [field.attname for field in fields]
        pk_index = first + attnames.index(model._meta.pk.attname)
        parts.append((model, attnames, first, len(columns), pk_index, converters))
    sql = (
        f"SELECT {', '.join(columns)} "
        f"FROM {quote(Session._meta.db_table)} s "
        f"LEFT JOIN {quote(User._meta.db_table)} u "
        f"ON u.{quote('id')} = s.{quote('user_id')} "
        f"LEFT JOIN {quote(SyncState._meta.db_table)} y "
        f"ON y.{quote('user_id')} = u.{quote('id')} "
        f"WHERE s.{quote('key_hash')} = %s AND s.{quote('expire_date')} > %s"
    )
    return sql, parts


def find_session(hashed_key, now):
    """The live session with this key hash (user and sync state attached), or None."""
    sql, parts = _plan(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [hashed_key, connection.ops.adapt_datetimefield_value(now)])
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    session, user, state = (_instance(row, *part) for part in parts)
    if user is not None:
        session.user = user
        if state is not None:
            user.syncstate = state
        else:
            # As select_related() would: known absent, no query on access.
            User.syncstate.related.set_cached_value(user, None)
    return session


def _instance(row, model, attnames, first, last, pk_index, converters):
    if row[pk_index] is None:  # no such row joined
        return None
    for index, functions, column in converters:
        for convert in functions:
            row[index] = convert(row[index], column, connection)
    return model.from_db(connection.alias, attnames, row[first:last])


# --- 2. the session store ----------------------------------------------------


class SessionStore(DatabaseSessionStore):
    """Django's database session store, keeping only a hash of each key."""

    def __init__(self, session_key=None, *, client=None):
        super().__init__(session_key)
        # The request whose client a new session records (client_info()),
        # read only if one is created: most requests create none.
        self.client = client
        self._expiry = None

    loaded_user = None  # the user find_session() brought along, if any

    @classmethod
    def get_model_class(cls):
        return Session

    def _get_new_session_key(self):
        # 256 bits: the key is also the bearer token, so it must never look
        # like an API token.
        while True:
            key = secrets.token_urlsafe(32)
            if not key.startswith(API_TOKEN_PREFIX):
                return key

    def _get_session_from_db(self):
        row = find_session(key_hash(self.session_key), timezone.now())
        if row is None:
            self._session_key = None
        return row

    def load(self):
        row = self._get_session_from_db()
        self.loaded_user = row.user if row is not None else None
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

    def decode(self, session_data):
        # Django's decode() verifies the data's signature and unpacks it
        # (~90 Python calls, a twentieth of a GET todo's: `python -m
        # bench.calls --only detail`) on every request, though a session's
        # data changes only when it is saved. What it verified is kept by
        # the signed text (which no one can forge) and the keys it was
        # verified with; only the JSON is decoded again, into a session of
        # its own. Anything it does not verify is Django's to handle.
        verified = _verified(
            session_data,
            self.key_salt,
            settings.SECRET_KEY,
            tuple(settings.SECRET_KEY_FALLBACKS),
        )
        if verified is None:
            return super().decode(session_data)
        return self.serializer().loads(verified)

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
        return self.model.objects.filter(key_hash=key_hash(session_key)).exists()

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
        hashed = key_hash(self.session_key)
        using = router.db_for_write(self.model)
        if must_create:
            try:
                with transaction.atomic(using=using):
                    self.model.objects.using(using).create(
                        key_hash=hashed,
                        **(client_info(self.client) if self.client else {}),
                        **fields,
                    )
            except IntegrityError as exc:
                raise CreateError from exc
            return
        updated = (
            self.model.objects.using(using)
            .filter(key_hash=hashed)
            .update(last_used_at=timezone.now(), **fields)
        )
        if not updated:
            raise UpdateError

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        if session_key is not None:
            self.model.objects.filter(key_hash=key_hash(session_key)).delete()


class _Unparsed:
    """A signing serializer handing back the verified bytes as they are."""

    def loads(self, data):
        return data


@functools.lru_cache(maxsize=4096)
def _verified(session_data, salt, secret_key, fallbacks):
    """The JSON a session's signed data holds, verified; None if it is not."""
    try:
        return signing.loads(session_data, salt=salt, serializer=_Unparsed)
    except Exception:  # as Django's decode(): it logs what it must
        return None


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, telling each session who opened it."""

    def process_request(self, request):
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        request.session = SessionStore(session_key, client=request)


# --- 3. the user of a session ------------------------------------------------

# The session whose user signed_in_user() is resolving, for that call only.
_resolving = ContextVar("resolving_session", default=None)


def signed_in_user(session):
    """
    The user `session` is signed in as, or AnonymousUser: Django's
    get_user(), with the session handed to SessionUserBackend for the call.
    """
    handoff = _resolving.set(session)
    try:
        return auth.get_user(SimpleNamespace(session=session))
    finally:
        _resolving.reset(handoff)


class SessionUserBackend(ModelBackend):
    """
    ModelBackend, except that get_user() takes the user that came with the
    session being resolved (one joined query) instead of querying again.
    django.contrib.auth.get_user() still does everything else: the backend
    check, is_active, and the session's auth-hash check.
    """

    def get_user(self, user_id):
        session = _resolving.get()
        user = session.loaded_user if session is not None else None
        if user is None or str(user.pk) != str(user_id):
            return super().get_user(user_id)
        return user if self.user_can_authenticate(user) else None


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, resolving the cookie's session through signed_in_user()."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: signed_in_user(request.session))


# --- the carriers ------------------------------------------------------------


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
        session = SessionStore(token, client=request._request)
        # Resolved exactly as the cookie's session is, hash check included.
        user = signed_in_user(session)
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
        http_request.session = SessionStore(None, client=http_request)
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
        sessions = sessions.exclude(key_hash=key_hash(keep.session_key))
    sessions.delete()


def renew_auth_hash(session, user):
    """
    Keep `session` signed in after `user`'s password changed, under the same
    key (Django's update_session_auth_hash() would rotate it, and with it the
    bearer token the client holds).
    """
    session[auth.HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
