"""
Per-user concurrency slots (UserThrottle), counted in a real Redis: a
throwaway one, so the shared server is never touched.
"""

import pytest

from accounts import ratelimit
from testing.helpers import assert_problem
from testing.servers import wait_until

pytestmark = pytest.mark.django_db


def test_slots_are_limited_and_given_back(redis_settings):
    first = ratelimit.acquire_slot("t:give-back", 2, lease=60)
    second = ratelimit.acquire_slot("t:give-back", 2, lease=60)

    assert first and second
    assert ratelimit.acquire_slot("t:give-back", 2, lease=60) is None
    ratelimit.release_slot("t:give-back", first)
    assert ratelimit.acquire_slot("t:give-back", 2, lease=60)


def test_a_slot_whose_request_died_frees_itself_when_its_lease_ends(redis_settings):
    assert ratelimit.acquire_slot("t:lease", 1, lease=1)
    assert ratelimit.acquire_slot("t:lease", 1, lease=1) is None

    wait_until(
        lambda: ratelimit.acquire_slot("t:lease", 1, lease=60) is not None,
        15,
        what="lease expired",
    )


def test_slots_are_granted_without_redis(settings):
    settings.REDIS_URL = ""

    assert ratelimit.acquire_slot("t:none", 1, lease=60) == ""
    assert ratelimit.acquire_slot("t:none", 1, lease=60) == ""


def test_requests_beyond_the_users_concurrency_are_429(
    redis_settings, auth_client, user
):
    redis_settings.USER_MAX_CONCURRENT = 2
    # Two requests of this user in progress elsewhere.
    held = [
        ratelimit.acquire_slot(f"inflight:user:{user.pk}", 2, lease=60)
        for _ in range(2)
    ]

    refused = auth_client.get("/api/v1/todos")

    body = assert_problem(refused, 429)
    assert "in progress" in body["detail"]
    assert refused["Retry-After"] == "1"
    for token in held:
        ratelimit.release_slot(f"inflight:user:{user.pk}", token)
    # Each answered request gives its own slot back.
    for _ in range(3):
        assert auth_client.get("/api/v1/todos").status_code == 200


def test_other_users_are_unaffected_by_one_users_full_slots(
    redis_settings, auth_client, other_client, user
):
    redis_settings.USER_MAX_CONCURRENT = 1
    ratelimit.acquire_slot(f"inflight:user:{user.pk}", 1, lease=60)

    assert auth_client.get("/api/v1/todos").status_code == 429
    assert other_client.get("/api/v1/todos").status_code == 200
