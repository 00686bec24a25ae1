"""
Django's PostgreSQL backend, reading timestamps with psycopg's own loader,
and checking the health only of a connection that sat idle.

Django puts a Python subclass of psycopg's timestamptz loader on every
connection, only to set each value's tzinfo to Django's time zone: 8 Python
calls per timestamp, and a page of 20 todos returns 74 of them (594 calls,
12% of a list request's, `python -m bench.calls`). Django also sets the
session's TimeZone to its own (UTC when USE_TZ), and psycopg's loader then
returns each value already in `datetime.timezone.utc`, the very datetime
Django's loader makes; with psycopg's C build (psycopg[binary]) it does so
without a Python call. So once Django has set the session's time zone, a
connection where that holds reads timestamps with psycopg's loader
(api/tests/test_postgresql.py holds it to Django's).

Django checks a persistent connection (CONN_HEALTH_CHECKS) with a round trip,
`SELECT 1`, before the first query of every request, so that one the server
closed while it sat idle (a restart, Neon suspending its compute, a pooler's
idle timeout) is reopened rather than failing the request: under load, one
round trip in three of a list request, for connections that answered a
query milliseconds before. A connection used less than IDLE_BEFORE_CHECK
ago is not checked: should it have died in that moment, its request answers
503 as during any outage, and Django closes it for the next to reopen.
"""

import datetime
import time

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import get_adapters_template
from django.utils.asyncio import async_unsafe
from psycopg import adapters
from psycopg.pq import Format

PSYCOPG_LOADER = adapters.get_loader(base.TIMESTAMPTZ_OID, Format.TEXT)
DJANGO_LOADER = get_adapters_template(True, datetime.UTC).get_loader(
    base.TIMESTAMPTZ_OID, Format.TEXT
)


# Seconds. Under load a worker thread runs a query every few milliseconds.
IDLE_BEFORE_CHECK = 0.25


class DatabaseWrapper(base.DatabaseWrapper):
    psycopg_timestamps = False  # this connection reads them with PSYCOPG_LOADER
    last_cursor_at = float("-inf")  # time.monotonic() of its latest cursor

    def close_if_health_check_failed(self):
        if time.monotonic() - self.last_cursor_at < IDLE_BEFORE_CHECK:
            self.health_check_done = True  # nothing to check in this request
            return
        super().close_if_health_check_failed()

    def init_connection_state(self):
        super().init_connection_state()
        self.psycopg_timestamps = (
            self.connection is not None
            and not self.pool
            and self.timezone is datetime.UTC
            and self.connection.info.parameter_status("TimeZone") == "UTC"
        )
        if self.psycopg_timestamps:
            self.connection.adapters.register_loader("timestamptz", PSYCOPG_LOADER)

    @async_unsafe
    def create_cursor(self, name=None):
        self.last_cursor_at = time.monotonic()
        if not self.psycopg_timestamps:
            return super().create_cursor(name)
        if name is None:
            # Django's create_cursor(), less its check that the connection's
            # loader carries Django's time zone (psycopg's has no such
            # attribute; init_connection_state() checked the session's).
            return self.connection.cursor()
        # A server-side cursor (QuerySet.iterator()) is rare: Django's own
        # code, which reads the loader's time zone, sees Django's loader.
        self.connection.adapters.register_loader("timestamptz", DJANGO_LOADER)
        try:
            return super().create_cursor(name)
        finally:
            self.connection.adapters.register_loader("timestamptz", PSYCOPG_LOADER)
