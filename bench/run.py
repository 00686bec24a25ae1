"""
Load benchmark of one data set: `python -m bench.run --scale small|large`.

Creates the benchmark database if needed and migrates it, seeds it (or reuses
the data set), serves the project as deployed (`python -m todoapp.serve`, production
mode; bench.settings only adds the ceiling endpoint and per-request cost
headers), drives it with wrk over loopback, and writes
bench/results/<scale>.json. `python -m bench.report` turns the results of
both scales into the table (`make bench` runs all three).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import dj_database_url
import psycopg

from testing.servers import LiveServer, migrate, project_env

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results"
SECRET_KEY = "bench-secret-key-" + "b" * 40
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/todoapp_bench"

CONNECTIONS = 16
PEAK_SECONDS = 10
MODERATE_SECONDS = 10
PROFILE_SECONDS = 6
MODERATE_SHARE = 0.7  # of the measured peak
TOKENS_PER_SCENARIO = 1000

# name: (population, description)
SCENARIOS = {
    "ceiling": ("typical", "static JSON of a list page's size, no database"),
    "list": ("typical", "GET todos, default page"),
    "list_filtered": ("typical", "GET todos, filters + search + ordering"),
    "list_heavy": ("heavy", "GET todos, the 100,000-todo user"),
    "detail": ("typical", "GET todos/{id}"),
    "create": ("typical", "POST todos"),
    "patch": ("typical", "PATCH todos/{id} (toggle completed)"),
    "stats": ("typical", "GET todos/stats, typical user"),
    "stats_heavy": ("heavy", "GET todos/stats, the 100,000-todo user"),
    "changes": ("power", "GET todos/changes, 100 changes behind"),
    "bulk": ("typical", "POST todos/bulk, 50 operations"),
    "list_304": ("typical", "GET todos with If-None-Match: 304"),
    "signin": ("typical", "POST auth/signin (Argon2)"),
    "mix": ("typical", "60% list, 15% detail, 10% create, 10% patch, 5% stats"),
    "list_lists": ("lists", "GET todos, a user whose todos are in 20 lists"),
    "lists": ("lists", "GET lists, 20 lists"),
    "move": ("typical", "POST todos/{id}/move, after another todo or first"),
    "list_shared": (
        "shared",
        "GET todos, a member of a 10,000-todo list shared by 20 (and 50 own)",
    ),
}
# wrk's scenario name for those that share another's requests.
REQUESTS_OF = {
    "list_heavy": "list",
    "stats_heavy": "stats",
    "list_lists": "list",
    "list_shared": "list",
}


def database_url(scale):
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    return url if scale == "large" else f"{url}_small"


def server_env(url, **extra):
    env = project_env(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_SECRET_KEY=SECRET_KEY,
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1"),
        # The benchmark measures the API, not its rate limits (the counting
        # itself still runs on every request).
        AUTH_THROTTLE_RATE="100000000/min",
        USER_THROTTLE_RATE="100000000/hour",
        SIGNIN_MAX_FAILURES="100000000",
        # The heavy scenarios are one user on all 16 connections: the
        # per-user concurrency cap (slots still taken and given back on every
        # request) would otherwise turn most of them into 429s.
        USER_MAX_CONCURRENT="1000",
        LOG_LEVEL="INFO",
        **extra,
    )
    if "DB_STATEMENT_TIMEOUT" not in extra:
        # The server as deployed: its default timeout, not the driver's none.
        env.pop("DB_STATEMENT_TIMEOUT", None)
    return env


def ensure_database(url):
    config = dj_database_url.parse(url)
    with psycopg.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{config["NAME"]}"')
    migrate(url)


def setup_django(url):
    """Django in this driver process, on the server's settings."""
    os.environ.update(server_env(url))
    # Except for the statement timeout: the driver's own work (seeding a
    # million rows with COPY, VACUUM ANALYZE) is no request and takes longer.
    os.environ["DB_STATEMENT_TIMEOUT"] = "0"
    import django

    django.setup()


def reset_leftovers():
    """Undo what earlier benchmark runs wrote, so runs start alike."""
    from django.db import connection

    from todos.models import Todo

    # Through the ORM, so the stats summary follows.
    Todo.objects.filter(title__startswith="bench new todo").delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_session, accounts_ratelimitcounter, "
            "todoapp_idempotencykey, todos_tombstone"
        )
        cursor.execute("VACUUM ANALYZE")


def issue_tokens(population, count):
    """Bearer tokens (real sessions) for `count` users of a population."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db.models import Count

    from accounts.models import Session, User, key_hash
    from accounts.sessions import SessionStore
    from bench.seed import HEAVY_EMAIL, LISTED_PREFIX, SHARED_PREFIX
    from todos.feed import cursor_as_of
    from todos.ledger import SyncState
    from todos.models import Todo

    users = User.objects.filter(email__startswith="bench-")
    if population == "heavy":
        users = users.filter(email=HEAVY_EMAIL)
    elif population == "power":
        users = users.filter(email__startswith="bench-power-")
    elif population == "lists":
        users = users.filter(email__startswith=LISTED_PREFIX)
    elif population == "shared":
        users = users.filter(email__startswith=SHARED_PREFIX)
    else:
        users = users.filter(email__startswith="bench-user-")
    users = list(users.annotate(n=Count("todos")).filter(n__gt=0).order_by("?")[:count])
    lines, rows = [], []
    store = SessionStore()
    for user in users:
        key = store._get_new_session_key()
        data = {
            SESSION_KEY: str(user.pk),
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
        }
        rows.append(
            Session(
                key_hash=key_hash(key),
                session_data=store.encode(data),
                user=user,
                expire_date=store.get_expiry_date(),
            )
        )
        ids = (
            Todo.objects.filter(owner=user)
            .order_by("-created_at")
            .values_list("pk", flat=True)
        )
        seq = SyncState.objects.of(user).seq
        lines.append(
            [
                key,
                user.email,
                ",".join(map(str, ids[:20])),
                cursor_as_of(user, max(seq - 100, 0)),
                "",
            ]
        )
    Session.objects.bulk_create(rows)
    return lines


class Server(LiveServer):
    """The project's server with its configuration and worker count, as deployed."""

    def __init__(self, url, server="granian", **env):
        super().__init__(env=server_env(url, **env), workers=None, server=server)

    def __enter__(self):
        return self.start(timeout=60)


def server_cpu_seconds(server):
    """CPU time used so far by the server's processes (all their threads)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in server.pids():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wrk(server, scenario, datafile, seconds, pause_ms=0):
    command = [
        "wrk",
        "-t2",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BASE_DIR / "bench" / "wrk.lua"),
        server.url,
        "--",
        REQUESTS_OF.get(scenario, scenario),
        str(datafile),
        str(pause_ms),
    ]
    cpu_before = server_cpu_seconds(server)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    server_cpu = server_cpu_seconds(server) - cpu_before
    line = next(
        line for line in output.splitlines() if line.startswith("BENCH_RESULT ")
    )
    raw = json.loads(line.removeprefix("BENCH_RESULT "))
    seconds = raw["duration_us"] / 1e6
    return {
        "rps": round(raw["ok"] / seconds, 1),
        "requests": raw["requests"],
        "non_2xx": raw["bad"] + raw["socket_errors"],
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "queries_per_request": round(raw["queries"] / raw["costed"], 2)
        if raw["costed"]
        else 0,
        "cpu_ms_per_request": round(raw["cpu_us"] / raw["costed"] / 1000, 3)
        if raw["costed"]
        else 0,
        # Everything the server's processes spent, HTTP handling included.
        "server_cpu_ms_per_request": round(server_cpu * 1000 / raw["requests"], 3)
        if raw["requests"]
        else 0,
    }


def paced(server, scenario, datafile, target_rps):
    """wrk at about `target_rps`: each connection pauses between requests."""
    pause = max(0, CONNECTIONS / target_rps * 1000 - 2)
    probe = wrk(server, scenario, datafile, 3, int(pause))
    if probe["rps"]:
        # Correct the pause once by what was achieved.
        pause = max(0, pause * probe["rps"] / target_rps)
    return wrk(server, scenario, datafile, MODERATE_SECONDS, int(pause))


def prepare_etags(server, lines):
    import requests

    for line in lines:
        response = requests.get(
            f"{server.url}/api/v1/todos",
            headers={"Authorization": f"Bearer {line[0]}"},
            timeout=30,
        )
        line[4] = response.headers["ETag"]


def profile_name(scale, tag, scenario):
    return f"{scale}-{tag}-{scenario}" if tag else f"{scale}-{scenario}"


def profiled(server, scenario, datafile, name):
    """
    The scenario at its peak again, for PROFILE_SECONDS, with py-spy sampling
    every server process (a pass of its own: the sampler's CPU would weigh
    on the measured ones): a flame graph, bench/results/<name>.svg, of where
    the server's time goes. Returns its file name.
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    svg = RESULTS / f"{name}.svg"
    sampler = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(server.master_pid),
            "--subprocesses",
            "--nonblocking",
            *os.environ.get("BENCH_PROFILE_ARGS", "").split(),
            "--duration",
            str(PROFILE_SECONDS),
            "--rate",
            "250",
            "--format",
            os.environ.get("BENCH_PROFILE_FORMAT", "flamegraph"),
            "--output",
            str(svg),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wrk(server, scenario, datafile, PROFILE_SECONDS)
    _, errors = sampler.communicate(timeout=120)
    if sampler.returncode:
        print(f"  {scenario}: no flame graph ({errors.strip()[-200:]})")
        return None
    return svg.name


def run(
    scale,
    soak_seconds,
    only=None,
    env=None,
    tag=None,
    profile=False,
    serve_with="granian",
):
    url = database_url(scale)
    print(f"== {scale}: database {dj_database_url.parse(url)['NAME']}")
    ensure_database(url)
    setup_django(url)
    from bench.seed import seed

    seed(scale)
    reset_leftovers()
    populations = {
        name: issue_tokens(name, TOKENS_PER_SCENARIO)
        for name in ("typical", "heavy", "power", "lists", "shared")
    }
    results = {"scale": scale, "connections": CONNECTIONS, "scenarios": {}}
    workdir = Path(tempfile.mkdtemp(prefix="todoapp-bench-"))
    results["env"] = env or {}
    results["server"] = serve_with
    with Server(url, serve_with, **(env or {})) as server:
        for name, (population, description) in SCENARIOS.items():
            if only and name not in only:
                continue
            lines = populations[population]
            if name == "list_304":
                prepare_etags(server, lines)
            datafile = workdir / f"{name}.tsv"
            datafile.write_text("".join("\t".join(line) + "\n" for line in lines))
            peak = wrk(server, name, datafile, PEAK_SECONDS)
            moderate = paced(server, name, datafile, peak["rps"] * MODERATE_SHARE)
            results["scenarios"][name] = {
                "description": description,
                "peak": peak,
                "moderate": moderate,
            }
            if profile:
                flame = profiled(server, name, datafile, profile_name(scale, tag, name))
                results["scenarios"][name]["flame_graph"] = flame
            print(
                f"  {name:<14} {peak['rps']:>8.0f} req/s"
                f"  p50 {moderate['p50_ms']:6.2f} ms  p99 {moderate['p99_ms']:6.2f} ms"
                f"  {peak['queries_per_request']:5.1f} q/req"
                f"  non-2xx {peak['non_2xx'] + moderate['non_2xx']}"
            )
        results["workers"] = len(server.worker_pids())
        results["peak_rss_mib"] = round(max(server.worker_memory("VmHWM")), 1)
    if soak_seconds:
        results["soak"] = soak(url, populations["typical"], workdir, soak_seconds)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"{scale}-{tag}" if tag else scale
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2))
    reset_leftovers()
    return results


def soak(url, lines, workdir, seconds):
    """A long mixed run without worker recycling: does worker memory grow?"""
    datafile = workdir / "soak.tsv"
    datafile.write_text("".join("\t".join(line) + "\n" for line in lines))
    with Server(url, GUNICORN_MAX_REQUESTS="0") as server:
        wrk(server, "mix", datafile, 20)  # warm up
        start = server.worker_memory("VmRSS")
        load = wrk(server, "mix", datafile, seconds)
        end = server.worker_memory("VmRSS")
    print(f"  soak {seconds} s: RSS per worker {max(start):.1f} -> {max(end):.1f} MiB")
    return {
        "seconds": seconds,
        "rps": load["rps"],
        "non_2xx": load["non_2xx"],
        "rss_start_mib": [round(size, 1) for size in start],
        "rss_end_mib": [round(size, 1) for size in end],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    parser.add_argument(
        "--soak",
        type=int,
        default=None,
        help="Seconds of the memory-growth run (default 300 at large, 0 small).",
    )
    parser.add_argument(
        "--only", help="Comma-separated scenarios to run (default: all)."
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Server environment to try instead of the defaults (WEB_THREADS=2).",
    )
    parser.add_argument(
        "--server",
        choices=["granian", "gunicorn"],
        default="granian",
        help="Serve with `python -m todoapp.serve` (Granian, as deployed) or "
        "gunicorn and gunicorn.conf.py, to compare the two.",
    )
    parser.add_argument("--tag", help="Write results/<scale>-<tag>.json instead.")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="Also write a flame graph per scenario, results/<scale>-<name>.svg "
        "(py-spy, during a pass of its own).",
    )
    args = parser.parse_args()
    soak_seconds = (
        args.soak if args.soak is not None else (300 if args.scale == "large" else 0)
    )
    only = set(args.only.split(",")) if args.only else None
    env = dict(item.split("=", 1) for item in args.env)
    run(
        args.scale,
        soak_seconds,
        only=only,
        env=env,
        tag=args.tag,
        profile=args.profile,
        serve_with=args.server,
    )


if __name__ == "__main__":
    main()
