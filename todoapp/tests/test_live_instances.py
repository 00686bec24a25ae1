"""
Two gunicorn instances over one database and one Redis behave as one service:
sessions and rate limits are shared, nothing lives in a process.
"""

import uuid

import pytest
import requests

from testing import PASSWORD
from testing.servers import LiveServer, TemporaryRedis, scratch_database

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def instances():
    redis = TemporaryRedis().start()
    try:
        with scratch_database() as database_url:
            # One proxy in front, so each test can be its own client address.
            env = {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis.url,
                "AUTH_THROTTLE_RATE": "4/min",
                "TRUSTED_PROXY_COUNT": "1",
            }
            with (
                LiveServer(env=env, workers=2) as a,
                LiveServer(env=env, workers=2) as b,
            ):
                yield a, b
    finally:
        redis.stop()


def test_session_from_one_instance_works_on_the_other_and_ends_on_both(instances):
    a, b = instances
    token = a.signup(f"two-{uuid.uuid4().hex[:6]}@example.com")

    on_b = b.client(token)
    assert on_b.get(f"{b.api}/auth/me").status_code == 200
    assert on_b.post(f"{b.api}/auth/signout").status_code == 204

    assert a.client(token).get(f"{a.api}/auth/me").status_code == 401


def test_cookie_session_is_shared_too(instances):
    a, b = instances
    email = f"cookie-{uuid.uuid4().hex[:6]}@example.com"
    a.signup(email)
    browser = requests.Session()
    browser.post(f"{a.api}/auth/signin", json={"email": email, "password": PASSWORD})

    assert browser.get(f"{b.api}/auth/me").json()["email"] == email


def test_one_rate_limit_spans_both_instances(instances):
    a, b = instances
    client_address = {"X-Forwarded-For": "198.51.100.77"}
    statuses = [
        requests.post(
            f"{server.api}/auth/signin",
            headers=client_address,
            json={"email": "nobody@example.com", "password": "wrong password"},
        ).status_code
        for server in (a, b, a, b, a, b)
    ]

    assert statuses == [401, 401, 401, 401, 429, 429]
