"""
Serve todoapp in production: `python -m todoapp.serve` (the Procfile's web
process, and what `make run` starts).

Granian's WSGI server: HTTP parsing, keep-alive and slow connections are
handled by its Rust event loop, so a client dribbling its headers holds no
Python thread; each of WEB_CONCURRENCY processes (the cores) runs the app
on WEB_THREADS threads (8), so a slow request body occupies one thread,
never a whole process. The kernel spreads connections over the processes
whatever their free threads, so fewer threads per process let a few slow
bodies stall one process (README, Deployment, has the figures).

`--check` only checks that the settings load and the address is free, so
`make run` can fail before it migrates anything.
"""

import argparse
import multiprocessing
import os
import socket
import sys


def server_options():
    """The server's settings from the environment (README, Configuration)."""
    bind = os.environ.get("WEB_BIND") or os.environ.get(
        "GUNICORN_BIND", "127.0.0.1:8000"
    )
    host, _, port = bind.rpartition(":")
    return {
        "address": host.strip("[]") or "127.0.0.1",
        "port": int(port),
        "workers": int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count())),
        "blocking_threads": int(os.environ.get("WEB_THREADS", 8)),
    }


def fail(message):
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def check_settings():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todoapp.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import todoapp.settings  # noqa: F401
    except ImproperlyConfigured as exc:
        fail(exc)


def check_address_free(address, port):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as probe:
        try:
            probe.bind((address, port))
        except OSError as exc:
            fail(
                f"cannot listen on {address}:{port} ({exc.strerror}): is another "
                "todoapp already serving there? Stop it, or set WEB_BIND."
            )


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m todoapp.serve")
    parser.add_argument(
        "--check", action="store_true", help="check the settings and port only"
    )
    args = parser.parse_args(argv)
    try:
        options = server_options()
    except ValueError as exc:
        fail(f"WEB_BIND, WEB_CONCURRENCY and WEB_THREADS must be numbers: {exc}")
    check_settings()
    check_address_free(options["address"], options["port"])
    if args.check:
        return

    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    Granian(
        "todoapp.wsgi:application",
        interface=Interfaces.WSGI,
        # A worker that dies is replaced; one over 512 MiB is recycled.
        respawn_failed_workers=True,
        workers_max_rss=int(os.environ.get("WEB_MAX_RSS_MIB", 512)),
        # The app logs each request itself, as JSON (api.request_log).
        log_access=False,
        log_level=LogLevels(os.environ.get("LOG_LEVEL", "info").lower()),
        **options,
    ).serve()


if __name__ == "__main__":
    main()
