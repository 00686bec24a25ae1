"""Helpers for the test suites (fixtures themselves live in the root conftest.py)."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from rest_framework.test import APIClient

PASSWORD = "correct horse battery staple"


def token_for(user):
    """A real signed-in session for `user`; its key is a bearer token."""
    client = APIClient()
    client.force_login(user)
    return client.cookies["sessionid"].value


def bearer_client(user=None, token=None):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token or token_for(user)}")
    return client


def assert_problem(response, status, field=None):
    """Assert `response` is an RFC 9457 problem document; return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body
    return body


# --- a real gunicorn, for tests that need a live server ----------------------

BASE_DIR = Path(__file__).resolve().parent.parent
TEST_SECRET_KEY = "live-test-secret-key-" + "x" * 40


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """
    The project served by its own gunicorn (production settings, DEBUG off),
    on a free loopback port, started and stopped by the test that needs it.
    """

    def __init__(self, env=None, workers=1, args=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tempdir = tempfile.TemporaryDirectory()
        self.env = {
            **os.environ,
            # An empty database of its own unless the test brings one.
            "DATABASE_URL": f"sqlite:///{self.tempdir.name}/live.sqlite3",
            "DJANGO_ENV_FILE": "",
            "DJANGO_DEBUG": "0",
            "DJANGO_HTTPS": "0",
            "DJANGO_SECRET_KEY": TEST_SECRET_KEY,
            "WEB_CONCURRENCY": str(workers),
            "LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        self.args = list(args)
        self.process = None

    def start(self, timeout=20):
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{self.port}",
                *self.args,
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.output()}")
            try:
                requests.get(f"{self.url}/api/v1/health", timeout=2)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer in {timeout}s:\n{self.output()}")

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self, timeout=15):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.tempdir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
