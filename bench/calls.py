"""
What one request costs in Python, in one process: `python -m bench.calls`.

The load benchmark's CPU figures move by ±20% from run to run on a shared
machine; the number of Python function calls a request makes does not. This
serves the scenarios' requests to the deployed WSGI application (production
settings and middleware, Redis, PostgreSQL with the small benchmark data
set in a database of its own) straight from this process, no
server in between, and prints per scenario the median over `--requests`
requests of typical users: the Python calls (cProfile), the queries, and
the CPU time of the thread (a second pass without the profiler; only as
steady as the machine). `--top N` also prints the N functions that cost a
scenario the most time of their own, to see where to look next.

    .venv/bin/python -m bench.calls --only list,detail --top 25
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
from contextlib import contextmanager

from bench.run import database_url, ensure_database, issue_tokens, server_env

SCENARIOS = [
    "list",
    "list_filtered",
    "detail",
    "create",
    "patch",
    "stats",
    "changes",
    "list_304",
    "lists",
    "list_lists",
    "list_shared",
    "move",
]
WARM_UP = 5


def setup_django():
    """
    Django in this process as the server runs it, minus bench.settings, on a
    database of its own with the small data set (bench.run empties the
    sessions of its own database as it starts).
    """
    url = database_url("small") + "_calls"
    ensure_database(url)
    env = server_env(url)
    env["DJANGO_SETTINGS_MODULE"] = "todoapp.settings"
    env["DB_STATEMENT_TIMEOUT"] = "0"
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()
    from bench.seed import seed

    seed("small")


def request_of(scenario, user, rng):
    """(method, path, body, headers) as bench/wrk.lua builds it."""
    token, _email, ids, cursor, etag = user
    ids = ids.split(",")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if scenario in ("list", "list_lists", "list_shared"):
        return "GET", "/api/v1/todos", None, headers
    if scenario == "list_filtered":
        query = (
            "completed=false&priority=high,medium&tag=work&search=report"
            "&due_after=2020-01-01&ordering=-due_date,title"
        )
        return "GET", f"/api/v1/todos?{query}", None, headers
    if scenario == "detail":
        return "GET", f"/api/v1/todos/{rng.choice(ids)}", None, headers
    if scenario == "create":
        body = {"title": "bench new todo", "priority": "high", "tags": ["bench"]}
        return "POST", "/api/v1/todos", body, headers
    if scenario == "patch":
        body = {"completed": rng.random() < 0.5}
        return "PATCH", f"/api/v1/todos/{rng.choice(ids)}", body, headers
    if scenario == "stats":
        return "GET", "/api/v1/todos/stats", None, headers
    if scenario == "changes":
        return "GET", f"/api/v1/todos/changes?cursor={cursor}", None, headers
    if scenario == "list_304":
        return "GET", "/api/v1/todos", None, {**headers, "HTTP_IF_NONE_MATCH": etag}
    if scenario == "lists":
        return "GET", "/api/v1/lists", None, headers
    if scenario == "move":
        todo = rng.choice(ids)
        after = rng.choice([other for other in ids if other != todo] or [None])
        body = {"after": None if rng.random() < 0.2 or after is None else int(after)}
        return "POST", f"/api/v1/todos/{todo}/move", body, headers
    raise ValueError(scenario)


def environ(method, path, body, headers):
    path, _, query = path.partition("?")
    data = json.dumps(body).encode() if body is not None else b""
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **headers,
    }
    if data:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(data))
    return env


def serve(application, env):
    statuses = []

    def start_response(status, response_headers, exc_info=None):
        statuses.append(int(status.split()[0]))

    result = application(env, start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    if statuses[0] >= 400:
        raise RuntimeError(f"{env['REQUEST_METHOD']} {env['PATH_INFO']}: {body!r}")
    return statuses[0]


@contextmanager
def quiet_stderr():
    """The request log's lines go nowhere (they are still formatted)."""
    saved = os.dup(2), os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved[0], 2)
            os.dup2(saved[1], 1)


def measure(application, scenario, users, count, seed=1):
    """Median calls, queries and thread CPU ms per request, and the profile."""
    from django.db import connection

    rng = random.Random(seed)
    requests = [request_of(scenario, rng.choice(users), rng) for _ in range(count)]
    for request in requests[:WARM_UP]:
        serve(application, environ(*request))
    calls, queries, cpu, combined = [], [], [], None
    for request in requests:
        counted = []

        def count_query(execute, sql, params, many, context, counted=counted):
            counted.append(sql)
            return execute(sql, params, many, context)

        profile = cProfile.Profile()
        with connection.execute_wrapper(count_query):
            profile.enable()
            serve(application, environ(*request))
            profile.disable()
        stats = pstats.Stats(profile)
        calls.append(stats.total_calls)
        queries.append(len(counted))
        combined = stats if combined is None else combined.add(profile)
    for request in requests:
        started = time.thread_time()
        serve(application, environ(*request))
        cpu.append((time.thread_time() - started) * 1000)
    return (
        statistics.median(calls),
        statistics.median(queries),
        statistics.median(cpu),
        combined,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="Comma-separated scenarios (default: all).")
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument(
        "--top", type=int, default=0, help="Also print each scenario's top N."
    )
    args = parser.parse_args()
    setup_django()
    from todoapp.wsgi import application

    scenarios = args.only.split(",") if args.only else SCENARIOS
    populations = {
        "lists": "lists",
        "list_lists": "lists",
        "list_shared": "shared",
        "changes": "power",
    }
    print(f"{'scenario':<14} {'calls':>8} {'queries':>8} {'CPU ms':>8}")
    for scenario in scenarios:
        # The same users every run (issue_tokens() picks at random).
        everyone = issue_tokens(populations.get(scenario, "typical"), 100_000)
        users = sorted(everyone, key=lambda line: line[1])[: args.users]
        if scenario == "list_304":
            for user in users:
                user[4] = _etag_of(application, user[0])
        with quiet_stderr():
            calls, queries, cpu, profile = measure(
                application, scenario, users, args.requests
            )
        print(f"{scenario:<14} {calls:>8.0f} {queries:>8.0f} {cpu:>8.2f}", flush=True)
        if args.top:
            profile.sort_stats("tottime").print_stats(args.top)


def _etag_of(application, token):
    tags = []

    def start_response(status, headers, exc_info=None):
        tags.extend(value for name, value in headers if name == "ETag")

    env = environ(
        "GET", "/api/v1/todos", None, {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    )
    with quiet_stderr():
        b"".join(application(env, start_response))
    return tags[0]


if __name__ == "__main__":
    main()
