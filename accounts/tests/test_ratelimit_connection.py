"""
The counting commands' own connection (accounts.ratelimit._command), held to
what the Redis client would do, against a throwaway Redis: same counts, a
script Redis forgot, a connection it closed, an outage, threads and forks.
"""

import os
import threading

import pytest
import redis

from accounts import ratelimit
from testing.servers import wait_until


@pytest.fixture
def client(redis_server):
    with redis.Redis.from_url(redis_server.url) as connection:
        yield connection


def test_counts_are_the_ones_redis_keeps(redis_settings, client):
    usages = [ratelimit.hit("t:count", 3, 60) for _ in range(4)]

    assert [usage.count for usage in usages] == [1, 2, 3, 4]
    assert [usage.allowed for usage in usages] == [True, True, True, False]
    assert int(client.get("todoapp:ratelimit:t:count")) == 4
    assert 0 < client.ttl("todoapp:ratelimit:t:count") <= 60
    assert usages[-1].reset_in == client.ttl("todoapp:ratelimit:t:count")


def test_a_script_redis_forgot_is_sent_again(redis_settings, client):
    ratelimit.hit("t:flush", 5, 60)
    client.script_flush()

    assert ratelimit.hit("t:flush", 5, 60).count == 2
    assert ratelimit.hit("t:flush", 5, 60).count == 3


def test_a_connection_redis_closed_is_reopened_without_failing_open(
    redis_settings, client
):
    ratelimit.hit("t:closed", 5, 60)
    client.client_kill_filter(_type="normal", skipme=True)

    usage = ratelimit.hit("t:closed", 5, 60)

    assert usage.counted and usage.count == 2


def test_an_outage_fails_open_and_counting_resumes(redis_settings, redis_server):
    ratelimit.hit("t:outage", 5, 60)
    redis_server.stop()

    assert not ratelimit.hit("t:outage", 5, 60).counted
    assert ratelimit.acquire_slot("t:outage-slot", 1, lease=60) == ""

    redis_server.start()
    # A fresh server: the window starts again.
    wait_until(lambda: ratelimit.hit("t:outage", 5, 60).counted, 30, what="counted")
    assert ratelimit.hit("t:outage", 5, 60).count == 2


def test_each_thread_talks_on_a_connection_of_its_own(redis_settings, client):
    ratelimit.hit("t:threads", 100, 60)
    mine = ratelimit._connection()
    theirs = []

    def count():
        for _ in range(10):
            ratelimit.hit("t:threads", 100, 60)
        theirs.append(ratelimit._connection())

    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(connection) for connection in [mine, *theirs]}) == 5
    assert int(client.get("todoapp:ratelimit:t:threads")) == 41


def test_a_forked_child_does_not_share_its_parents_socket(redis_settings, client):
    ratelimit.hit("t:fork", 100, 60)
    parent = ratelimit._connection()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, and leave without running pytest's exit
        try:
            usage = ratelimit.hit("t:fork", 100, 60)
            fresh = ratelimit._connection() is not parent
            os.write(write_end, f"{usage.count} {fresh}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as report:
        answer = report.read()
    os.waitpid(pid, 0)

    assert answer == "2 True"
    assert ratelimit.hit("t:fork", 100, 60).count == 3
    assert ratelimit._connection() is parent
