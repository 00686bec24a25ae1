"""
Infrastructure faults, on throwaway servers: the database or Redis going away
and coming back, gunicorn workers killed or told to stop.
"""

import os
import signal
import socket
import time
import uuid

import pytest
import requests
from urllib3.util.retry import Retry

from testing.servers import (
    LiveServer,
    TemporaryPostgres,
    TemporaryRedis,
    migrate,
    wait_until,
)

pytestmark = pytest.mark.live


# --- the database goes away --------------------------------------------------


@pytest.fixture(scope="module")
def own_postgres():
    cluster = TemporaryPostgres()
    try:  # destroyed even when starting or migrating it fails
        migrate(cluster.start().url)
        yield cluster
    finally:
        cluster.destroy()


def test_database_outage_is_503_fast_and_the_same_server_recovers(own_postgres):
    with LiveServer(env={"DATABASE_URL": own_postgres.url}, workers=2) as server:
        client = server.client(server.signup("outage@example.com"))
        assert (
            client.post(f"{server.api}/todos", json={"title": "kept"}).status_code
            == 201
        )

        own_postgres.stop("immediate")
        try:
            started = time.monotonic()
            health = requests.get(f"{server.api}/health", timeout=10)
            health_seconds = time.monotonic() - started
            calls = [
                client.get(f"{server.api}/todos", timeout=10),
                client.post(f"{server.api}/todos", json={"title": "lost?"}, timeout=10),
                requests.post(
                    f"{server.api}/auth/signin",
                    timeout=10,
                    json={"email": "outage@example.com", "password": "x" * 12},
                ),
            ]
        finally:
            own_postgres.start()

        assert health.status_code == 503
        assert health.json() == {
            "status": "unavailable",
            "checks": {"database": "unavailable"},
        }
        assert health_seconds < 2
        for response in calls:
            assert response.status_code == 503, response.text
            assert response.headers["Content-Type"] == "application/problem+json"
            assert int(response.headers["Retry-After"]) > 0

        # Same processes, no restart: the service answers again.
        wait_until(
            lambda: requests.get(f"{server.api}/health").status_code == 200,
            15,
            what="health back to 200",
        )
        todos = client.get(f"{server.api}/todos")
        assert todos.status_code == 200
        assert [todo["title"] for todo in todos.json()["results"]] == ["kept"]


# --- server workers ----------------------------------------------------------


def test_killed_worker_is_replaced_and_requests_keep_succeeding(database):
    with LiveServer(env={"DATABASE_URL": database}, workers=2) as server:
        client = server.client(
            server.signup(f"kill-{uuid.uuid4().hex[:6]}@example.com")
        )
        victim = server.worker_pids()[0]

        os.kill(victim, signal.SIGKILL)
        # Connections the killed process held, or that reached it in the
        # moment it died, die with it (README, Deployment: tcp_migrate_req);
        # every connection made once it is gone is served.
        wait_until(lambda: victim not in server.worker_pids(), 15, what="worker gone")
        client.headers["Connection"] = "close"
        # While its replacement starts listening, the kernel can refuse a
        # connection (a socket of the SO_REUSEPORT group not yet listening):
        # nothing was sent, so a client or balancer retries the connect,
        # never a request that reached the server (read=0).
        retrying = Retry(connect=5, read=0, status=0, other=0, backoff_factor=0.1)
        client.mount("http://", requests.adapters.HTTPAdapter(max_retries=retrying))
        statuses = [
            client.get(f"{server.api}/todos", timeout=10).status_code for _ in range(20)
        ]

        assert statuses == [200] * 20
        wait_until(
            lambda: (
                len(server.worker_pids()) == 2 and victim not in server.worker_pids()
            ),
            15,
            what="worker replaced",
        )


def test_sigterm_lets_an_in_flight_request_finish(database):
    with LiveServer(env={"DATABASE_URL": database}, workers=1) as server:
        token = server.signup(f"term-{uuid.uuid4().hex[:6]}@example.com")
        body = b'{"title": "finished after SIGTERM"}'
        head = (
            f"POST /api/v1/todos HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as conn:
            # The worker is now inside the request, waiting for the body.
            conn.sendall(head + body[:10])
            time.sleep(0.5)
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            conn.sendall(body[10:])
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
        server.process.wait(20)

    assert reply.startswith(b"HTTP/1.1 201"), reply[:200]
    assert b"finished after SIGTERM" in reply


# --- Redis goes away ---------------------------------------------------------


def test_redis_outage_degrades_rate_limits_open_and_recovers(database):
    redis = TemporaryRedis().start()
    env = {
        "DATABASE_URL": database,
        "REDIS_URL": redis.url,
        "AUTH_THROTTLE_RATE": "3/min",
        "LOG_LEVEL": "WARNING",
    }
    email = f"redis-{uuid.uuid4().hex[:6]}@example.com"
    credentials = {"email": email, "password": "correct horse battery staple"}
    try:
        with LiveServer(env=env, workers=2) as server:
            token = server.signup(email)  # 1 of 3
            client = server.client(token)

            redis.stop()
            during = [
                requests.post(f"{server.api}/auth/signin", json=credentials, timeout=10)
                for _ in range(5)
            ]
            todos = client.get(f"{server.api}/todos", timeout=10)

            redis.start()
            after = [
                requests.post(f"{server.api}/auth/signin", json=credentials, timeout=10)
                for _ in range(4)
            ]
            log = server.output()
    finally:
        redis.stop()

    # Redis down: the API answers; the limit of 3 is not enforced.
    assert [response.status_code for response in during] == [200] * 5
    assert todos.status_code == 200
    assert "rate limit not enforced, Redis unavailable" in log
    # Redis back (empty): counting and limiting resume.
    assert [response.status_code for response in after] == [200, 200, 200, 429]
