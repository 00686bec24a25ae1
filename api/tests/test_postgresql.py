"""api.postgresql: psycopg's timestamp loader, and health checks when idle."""

import datetime

import psycopg
import pytest
from django.db import OperationalError, connection
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from api.postgresql.base import IDLE_BEFORE_CHECK, PSYCOPG_LOADER
from todos.models import Todo

pytestmark = pytest.mark.django_db

INSTANTS = [
    "2026-12-06 00:20:59.123456+00",
    "2026-03-29 01:30:00+02",  # an offset: stored as the same instant
    "1970-01-01 00:00:00+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2000-02-29 12:00:00.5-11:30",
]
QUERY = "SELECT v::timestamptz FROM unnest(%s::text[]) AS v"


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the backend is PostgreSQL's")


def read(cursor):
    cursor.execute(QUERY, [INSTANTS])
    return [value for (value,) in cursor.fetchall()]


def test_connections_load_timestamps_with_psycopgs_own_loader():
    connection.ensure_connection()
    adapters = connection.connection.adapters

    loader = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)

    assert loader is PSYCOPG_LOADER
    # The C build's loader, with psycopg[binary] as the requirements install.
    assert not PSYCOPG_LOADER.__module__.startswith("psycopg.")


def test_timestamps_read_as_djangos_loader_reads_them():
    with connection.cursor() as cursor:
        fast = read(cursor)
        # Django's own loader on this cursor (what every cursor had before).
        register_tzloader(connection.timezone, cursor.cursor)
        djangos = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        assert djangos.__name__ == "SpecificTzLoader"
        django = read(cursor)

    assert fast == django
    assert all(value.tzinfo is datetime.UTC for value in fast)
    assert [value.tzinfo for value in django] == [value.tzinfo for value in fast]
    assert fast[1] == datetime.datetime(2026, 3, 28, 23, 30, tzinfo=datetime.UTC)


def test_a_cursor_keeps_the_loader():
    # create_cursor() re-registers Django's loader where the time zones differ.
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)

    assert loader is PSYCOPG_LOADER


def test_a_server_side_cursor_reads_timestamps_alike(make_todo):
    made = [make_todo(title=f"todo {index}") for index in range(3)]

    read = list(Todo.objects.filter(pk__in=[t.pk for t in made]).iterator(2))

    assert sorted(t.created_at for t in read) == sorted(t.created_at for t in made)
    assert all(t.created_at.tzinfo is datetime.UTC for t in read)
    # The connection's loader is psycopg's again after the cursor was made.
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert loader is PSYCOPG_LOADER


# --- the health check of idle connections ------------------------------------


def end_backend_of(wrapper):
    """The server ends the connection, as a restart or an idle timeout does."""
    pid = wrapper.connection.info.backend_pid
    with psycopg.connect(**wrapper.get_connection_params()) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def request_starts(wrapper):
    # What Django does at each request's start (close_old_connections).
    wrapper.close_if_unusable_or_obsolete()


@pytest.mark.django_db(transaction=True)
def test_a_connection_idle_for_a_while_is_checked_and_reopened_if_dead():
    connection.ensure_connection()
    before = connection.connection
    end_backend_of(connection)
    connection.last_cursor_at -= IDLE_BEFORE_CHECK  # idle since

    request_starts(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")

    assert connection.connection is not before  # checked, found dead, reopened


@pytest.mark.django_db(transaction=True)
def test_a_connection_used_a_moment_ago_is_not_checked(monkeypatch):
    # "A moment" as long as a loaded machine may take between the steps.
    monkeypatch.setattr("api.postgresql.base.IDLE_BEFORE_CHECK", 3600)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    end_backend_of(connection)

    request_starts(connection)
    # Not checked: the request's first query finds it dead (a 503 problem,
    # as in any outage)...
    with pytest.raises(OperationalError), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    # ...and the end of that request closes it for the next to reopen.
    connection.close_if_unusable_or_obsolete()
    request_starts(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
