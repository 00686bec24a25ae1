"""
Settings for `make bench`: the production settings, plus a ceiling endpoint
and a per-request cost report. Never used by a deployment.
"""

import os

from todoapp.settings import *  # noqa: F403
from todoapp.settings import DATABASES, MIDDLEWARE, REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"
# Outermost, so it measures the whole stack.
MIDDLEWARE = ["bench.middleware.RequestCostMiddleware", *MIDDLEWARE]

# Alternatives the benchmark compares with the production defaults.
if os.environ.get("BENCH_DB_POOL") == "1":
    # Django's psycopg pool instead of persistent connections (CONN_MAX_AGE).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 4}
if os.environ.get("BENCH_RENDERER") == "orjson":
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
        "drf_orjson_renderer.renderers.ORJSONRenderer"
    ]
