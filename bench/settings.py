"""
Settings for `make bench`: the production settings, plus a ceiling endpoint
and a per-request cost report. Never used by a deployment.
"""

from todoapp.settings import *  # noqa: F403
from todoapp.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
# Outermost, so it measures the whole stack.
MIDDLEWARE = ["bench.middleware.RequestCostMiddleware", *MIDDLEWARE]
