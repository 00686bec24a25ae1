"""Fixtures shared by the live tests (a module may bring its own `server`)."""

import pytest

from testing.servers import LiveServer, scratch_database

# Many parallel clients from one address and one account: limits out of the way.
GENEROUS_LIMITS = {
    "AUTH_THROTTLE_RATE": "100000/min",
    "USER_THROTTLE_RATE": "100000000/hour",
}


@pytest.fixture(scope="module")
def database():
    """A scratch PostgreSQL database of the module's own (skipped on SQLite)."""
    with scratch_database() as url:
        yield url


@pytest.fixture(scope="module")
def server(database):
    """The project under gunicorn with 8 workers, for concurrent requests."""
    with LiveServer(
        env={"DATABASE_URL": database, **GENEROUS_LIMITS}, workers=8
    ) as live:
        yield live
