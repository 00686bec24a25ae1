"""
Gunicorn configuration for todoapp (`gunicorn -c gunicorn.conf.py`).

Every value can be overridden on the command line or through the environment
variables read here.
"""

import multiprocessing
import os
import sys

wsgi_app = "todoapp.wsgi:application"
bind = os.environ.get("WEB_BIND") or os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers, one more than the cores: on 2 cores `make bench` measured the
# same throughput for 2 to 4 workers and the lowest latency at 2-3, while the
# usual 2 x cores + 1 lost ~5% throughput and doubled the median latency
# (gthread lost ~45%). One spare worker keeps a slow request (an Argon2
# sign-in) from stalling half the capacity. README, Performance.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5
# Recycle workers now and then, jittered so they never restart together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 10000))
max_requests_jitter = max_requests // 10

# gunicorn 25.1+ opens a control socket in the home folder, and a second
# instance silently shares it; the app needs none.
control_socket_disable = True

# The app logs one JSON line per request itself (api.request_log).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


def on_starting(server):
    """Refuse to start, with one line, when the settings are not usable."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todoapp.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import todoapp.settings  # noqa: F401
    except ImproperlyConfigured as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
