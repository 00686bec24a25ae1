"""
Real processes for tests that need them: the project under its own gunicorn,
a scratch database, and throwaway PostgreSQL and Redis servers.

Tests that stop or kill something start their own instance here and never
touch the machine's shared PostgreSQL and Redis, which other tests and CI use.
"""

import email
import email.policy
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import dj_database_url
import psycopg
import requests

from testing import PASSWORD

BASE_DIR = Path(__file__).resolve().parent.parent
TEST_SECRET_KEY = "live-test-secret-key-" + "x" * 40


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def spawn(command, **kwargs):
    """
    Start a helper process (a server) for a test, under testing.reaper: in a
    process group of its own, so that stop_group() ends its workers too, and
    ended with its group when the test process goes, however it goes. The
    returned Popen is the reaper's; `master_pid()` finds the command's.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "testing.reaper", *command],
        start_new_session=True,
        stdin=subprocess.PIPE,  # its one writer is this process
        cwd=kwargs.pop("cwd", BASE_DIR),
        **kwargs,
    )
    return process


def children(pid):
    try:
        return [
            int(child)
            for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except FileNotFoundError:
        return []


def master_pid(process):
    """The pid of the command a spawn()ed reaper runs (None before it starts)."""
    found = children(process.pid)
    return found[0] if found else None


def stop_group(process, timeout=15):
    """SIGTERM a spawn()ed process and its group; SIGKILL what is left later."""
    if process is None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    try:  # workers that outlived their master, or a master that hung
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def wait_until(condition, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} not met within {timeout}s")


def project_env(**overrides):
    """The environment of a production-mode process of the project."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")
    }
    env.update(
        {
            "DJANGO_ENV_FILE": "",  # never the developer's .env
            "DJANGO_DEBUG": "0",
            "DJANGO_HTTPS": "0",
            "DJANGO_SECRET_KEY": TEST_SECRET_KEY,
            "LOG_LEVEL": "WARNING",
        }
    )
    env.pop("REDIS_URL", None)
    env.update(overrides)
    return env


def shared_database_url():
    """The DATABASE_URL the suite runs on, or None for SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def migrate(database_url):
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=project_env(DATABASE_URL=database_url),
        check=True,
        timeout=300,
    )


@contextmanager
def scratch_database():
    """
    A new, migrated, empty database for live servers, dropped afterwards: on
    the suite's PostgreSQL server when it runs on PostgreSQL, else a SQLite file.
    """
    server_url = shared_database_url()
    if server_url is None:
        with tempfile.TemporaryDirectory(prefix="todoapp-sqlite-") as folder:
            url = f"sqlite:///{folder}/live.sqlite3"
            migrate(url)
            yield url
        return
    config = dj_database_url.parse(server_url)
    name = f"todoapp_live_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname=config["NAME"],
        autocommit=True,
    )
    admin.execute(f'CREATE DATABASE "{name}"')
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate(url)
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


class LiveServer:
    """
    The project served as in production (`python -m todoapp.serve`, debug
    off) on a free loopback port; `server="gunicorn"` serves it with
    gunicorn and gunicorn.conf.py instead, the other supported way.
    """

    def __init__(self, env=None, workers=1, args=(), server="granian"):
        """`workers=None` keeps the server's own default count."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = f"{self.url}/api/v1"
        self.tempdir = tempfile.TemporaryDirectory(prefix="todoapp-live-")
        self.env = project_env(
            **{
                # An empty database of its own unless the test brings one.
                "DATABASE_URL": f"sqlite:///{self.tempdir.name}/live.sqlite3",
                **({} if workers is None else {"WEB_CONCURRENCY": str(workers)}),
                **(env or {}),
            }
        )
        self.env["WEB_BIND"] = f"127.0.0.1:{self.port}"
        self.args = list(args)
        self.server = server
        self.process = None
        self.log = None

    def command(self):
        if self.server == "gunicorn":
            return [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        return [sys.executable, "-m", "todoapp.serve"]

    def start(self, timeout=120):
        """Start and wait for an answer (generously: the machine may be busy)."""
        self.log = tempfile.TemporaryFile()
        self.process = spawn(
            [*self.command(), *self.args],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

        def answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited early:\n{self.output()}")
            try:
                requests.get(f"{self.api}/health", timeout=10)
            except requests.RequestException:  # not listening yet, or busy
                return False
            return True

        try:
            wait_until(answers, timeout, interval=0.1, what="the server answering")
        except BaseException:
            self.stop()  # a start that fails leaves nothing running
            raise
        return self

    @property
    def master_pid(self):
        return master_pid(self.process)

    def worker_pids(self):
        return children(self.master_pid)

    def pids(self):
        """The server's own processes: its master and its workers."""
        return [self.master_pid, *self.worker_pids()]

    def worker_memory(self, field):
        """Each worker's VmRSS (now) or VmHWM (peak), in MiB."""
        sizes = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self, timeout=15):
        """End the server and its workers, whatever state they are in."""
        stop_group(self.process, timeout)
        self.tempdir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # --- API shortcuts -------------------------------------------------------

    def signup(self, email, password=PASSWORD):
        response = requests.post(
            f"{self.api}/auth/signup",
            json={"email": email, "password": password},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["token"]

    def client(self, token):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        return session


def _as_postgres_user():
    """`runuser` prefix when root: PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


class TemporaryPostgres:
    """A throwaway PostgreSQL cluster (initdb) on a free port, trust auth."""

    def __init__(self):
        bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bindirs:
            raise RuntimeError("PostgreSQL server binaries not found")
        self.bindir = Path(bindirs[-1])
        self.root = tempfile.mkdtemp(prefix="todoapp-pg-")
        self.data = f"{self.root}/data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run(
            "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def _run(self, tool, *args):
        subprocess.run(
            [*_as_postgres_user(), str(self.bindir / tool), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self):
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            self.data,
            "-o",
            options,
            "-l",
            f"{self.root}/log",
            "-w",
            "start",
        )
        return self

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def destroy(self):
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)


class TemporaryRedis:
    """A throwaway redis-server on a free port, keeping nothing on disk."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = spawn(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers():
            try:
                with socket.create_connection(
                    ("127.0.0.1", self.port), timeout=0.2
                ) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        try:
            wait_until(answers, 60, what="redis answering")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        stop_group(self.process, 10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


class SmtpSink:
    """
    A real SMTP server (aiosmtpd) on a free loopback port, keeping what it
    receives as email.message.EmailMessage objects. `stall()` makes it hold
    every message's DATA until `release()`, as a hung server would;
    `stall("rcpt")` holds it earlier, at its recipient, before the server
    has the message (a client that dies then has sent nothing).
    """

    def __init__(self, port=None):
        self.port = port or free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.messages = []
        # Messages that reached the step a stall holds (DATA, or with
        # stall("rcpt") their recipient), stalled or not.
        self.sending = 0
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._released.set()
        self._stalls_at = "data"
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self._released.set()
            self.controller.stop()
            self.controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def stall(self, at="data"):
        self._stalls_at = at
        self._released.clear()

    def release(self):
        self._released.set()

    async def _held(self, step):
        import asyncio

        if self._stalls_at != step:
            return
        with self._lock:
            self.sending += 1
        while not self._released.is_set():
            await asyncio.sleep(0.05)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self._held("rcpt")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await self._held("data")
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default
        )
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def received(self, to=None):
        with self._lock:
            return [m for m in self.messages if to is None or to in m["To"]]

    def wait_for(self, to, count=1, timeout=120):
        """The messages to `to`, once at least `count` arrived."""
        wait_until(
            lambda: len(self.received(to)) >= count,
            timeout,
            interval=0.1,
            what=f"{count} mail(s) to {to}",
        )
        return self.received(to)


def link_in(message, path):
    """The link to `path` (with its token) in a mail's plain-text part."""
    text = message.get_body(("plain",)).get_content()
    found = re.search(rf"https?://\S+{re.escape(path)}\?token=[\w-]+", text)
    assert found, text
    return found.group(0)


class Worker:
    """`manage.py worker` (the Procfile's worker) on a database, as deployed."""

    def __init__(self, database_url, env=None):
        self.env = project_env(
            DATABASE_URL=database_url, LOG_LEVEL="INFO", **(env or {})
        )
        self.process = None
        self.log = None

    def start(self):
        self.log = tempfile.TemporaryFile()
        command = [sys.executable, "manage.py", "worker"]
        if self.env.get("TASKS_BACKEND", "database") == "database":
            command += ["--interval", "0.1"]  # RQ's worker blocks on Redis instead
        self.process = spawn(
            command,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self):
        """SIGKILL, as a lost machine would: no chance to finish anything."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout=30):
        stop_group(self.process, timeout)

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
