"""The production configuration, checked on real processes."""

import socket
import subprocess
import sys

import requests

from testing.servers import (
    BASE_DIR,
    TEST_SECRET_KEY,
    LiveServer,
    free_port,
    project_env,
)

STRONG_KEY = "q8Z" + "w7-Kd_3mP!xR9v" * 5


def run_manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**overrides):
    """Production mode: no secret key and HTTPS at its default unless given."""
    env = project_env(DJANGO_SECRET_KEY="")
    del env["DJANGO_HTTPS"]
    return {**env, **overrides}


def test_production_without_secret_key_refuses_to_start_with_one_line():
    result = run_manage("check", env=production_env())

    assert result.returncode != 0
    message = result.stderr.strip().splitlines()
    assert len(message) == 1
    assert "DJANGO_SECRET_KEY" in message[0]


def test_gunicorn_without_secret_key_refuses_to_start():
    server = LiveServer(env={"DJANGO_SECRET_KEY": ""})
    # subprocess.run() kills it if it outlives the (generous) timeout.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{server.port}",
        ],
        cwd=BASE_DIR,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    server.stop()

    assert result.returncode != 0
    assert any(
        line.startswith("error: DJANGO_SECRET_KEY")
        for line in result.stderr.splitlines()
    ), result.stderr


def test_deploy_check_is_clean_in_production_over_https():
    env = production_env(
        DJANGO_HTTPS="1",
        DJANGO_SECRET_KEY=STRONG_KEY,
        DJANGO_ALLOWED_HOSTS="api.example.com",
    )

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_https_mode_redirects_and_sends_hsts():
    env = {"DJANGO_HTTPS": "1", "DJANGO_SECRET_KEY": TEST_SECRET_KEY}
    with LiveServer(env=env) as server:
        plain = requests.get(f"{server.url}/api/v1/todos", allow_redirects=False)
        # TLS ended at a proxy that says so.
        proxied = requests.get(
            f"{server.url}/api/v1/health", headers={"X-Forwarded-Proto": "https"}
        )
        health = requests.get(f"{server.url}/api/v1/health", allow_redirects=False)

    assert plain.status_code == 301
    assert plain.headers["Location"].startswith("https://")
    assert "max-age=31536000" in proxied.headers["Strict-Transport-Security"]
    assert health.status_code == 200  # load balancers probe over plain HTTP


def test_https_mode_marks_cookies_secure_and_plain_mode_does_not():
    show = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)"
    )

    def flags(**env):
        result = run_manage(
            "shell",
            "--no-imports",
            "-c",
            show,
            env=production_env(DJANGO_SECRET_KEY=STRONG_KEY, **env),
        )
        return result.stdout.split()

    assert flags(DJANGO_HTTPS="1") == ["True", "True", "True"]
    assert flags(DJANGO_HTTPS="0") == ["False", "False", "False"]
    assert flags() == ["True", "True", "True"]  # secure by default


def test_health_is_503_and_api_calls_are_503_problems_when_database_is_unreachable():
    # Nothing listens on port 1: every connection attempt is refused at once.
    env = {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere"}
    with LiveServer(env=env) as server:
        health = requests.get(f"{server.url}/api/v1/health", timeout=30)
        todos = requests.get(
            f"{server.url}/api/v1/todos",
            headers={"Authorization": "Bearer " + "k" * 43},
            timeout=5,
        )

    assert health.status_code == 503
    assert health.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable"},
    }
    assert todos.status_code == 503
    assert todos.headers["Content-Type"] == "application/problem+json"
    assert todos.json()["status"] == 503
    assert int(todos.headers["Retry-After"]) > 0


def one_line_error(result):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_unreachable_database_is_one_line(tmp_path):
    closed_port = free_port()
    env = project_env(DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port}/x")

    line = one_line_error(run_manage("migrate", "--noinput", env=env))

    assert "DATABASE_URL" in line and str(closed_port) in line


def test_unusable_database_url_is_one_line():
    env = project_env(DATABASE_URL="mysqlx://nowhere/db")

    line = one_line_error(run_manage("migrate", "--noinput", env=env))

    assert "DATABASE_URL" in line


def run_serve(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "todoapp.serve", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_serve_without_secret_key_refuses_to_start_with_one_line():
    line = one_line_error(run_serve("--check", env=production_env()))

    assert "DJANGO_SECRET_KEY" in line


def test_serve_refuses_a_busy_address_before_anything_else():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = project_env(WEB_BIND=f"127.0.0.1:{port}")

        line = one_line_error(run_serve("--check", env=env))

    assert f"127.0.0.1:{port}" in line and "already" in line
