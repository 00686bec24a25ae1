"""
todoapp settings: one module, configured from the environment.

Every environment read lives here, each with a safe default; the rest of the
code reads `django.conf.settings`. An optional, git-ignored `.env` file in the
project folder feeds the environment (real variables win over it);
DJANGO_ENV_FILE names another file, or none when empty (the tests do that).
"""

import os
import re
import urllib.parse
from pathlib import Path

import dj_database_url
import structlog
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

_env_file = os.environ.get("DJANGO_ENV_FILE", str(BASE_DIR / ".env"))
if _env_file:
    load_dotenv(_env_file, override=False)


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be an integer, got {value!r}"
        ) from None


def env_list(name, default=""):
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


# EMAIL_URL's schemes: plain SMTP, STARTTLS, or TLS from the start. A few
# lines here because dj-email-url names them differently (smtps, submission).
EMAIL_SCHEMES = {"smtp": (25, False, False), "smtp+tls": (587, True, False)}
EMAIL_SCHEMES["smtp+ssl"] = (465, False, True)


def env_email_url(name):
    """Django's EMAIL_* settings from a URL such as smtp+tls://u:p@host:587."""
    value = os.environ.get(name, "").strip()
    if not value:
        return {}
    url = urllib.parse.urlsplit(value)
    try:
        port, use_tls, use_ssl = EMAIL_SCHEMES[url.scheme]
        port = url.port or port
    except (KeyError, ValueError):
        raise ImproperlyConfigured(
            f"{name} must be smtp://host:port, smtp+tls://user:password@host:587 "
            f"or smtp+ssl://user:password@host:465, got {url.scheme}://..."
        ) from None
    if not url.hostname:
        raise ImproperlyConfigured(f"{name} names no host.")
    return {
        "EMAIL_HOST": url.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": urllib.parse.unquote(url.username or ""),
        "EMAIL_HOST_PASSWORD": urllib.parse.unquote(url.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }


def env_seconds(name, default):
    """A duration such as `604800`, `90s`, `15m`, `24h` or `7d`, in seconds."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    match = re.fullmatch(r"(\d+)\s*([smhd]?)", value)
    if not match or int(match[1]) <= 0:
        raise ImproperlyConfigured(
            f"{name} must be a positive duration like 7d, 24h or 3600"
        )
    return int(match[1]) * _DURATION_UNITS[match[2]]


def env_rate(name, default):
    """A DRF-style rate, `<count>/<period>` with period second|minute|hour|day."""
    value = os.environ.get(name, default).strip()
    if not re.fullmatch(r"[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(
            f"{name} must look like 10/min or 1000/hour, got {value!r}"
        )
    return value


# --- Core --------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: set it to a long random string, e.g. "
            "the output of: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # Debug mode only: production refuses to start without a key of its own.
    SECRET_KEY = "django-insecure-development-only-never-deploy-this-key"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

# DJANGO_HTTPS: the site is reached over HTTPS (possibly via a TLS-terminating
# proxy). Secure by default: on unless debug is on or it is switched off.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    # Installed for `manage.py clearsessions`; sessions themselves are stored
    # by accounts.sessions in accounts.Session, hashed.
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "csp",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "accounts",
    "todos",
    "django_tasks",
    "django_tasks_db",
    "jobs",
]

MIDDLEWARE = [
    "api.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "api.csp.PageCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "accounts.throttles.RateLimitHeadersMiddleware",
    "accounts.sessions.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.sessions.AuthenticationMiddleware",
    "api.messages.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "todoapp.urls"
WSGI_APPLICATION = "todoapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------

try:
    DATABASES = {
        "default": dj_database_url.config(
            default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
            conn_max_age=env_int("CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL todoapp can use ({exc}); expected "
        "postgres://user:password@host:5432/name or sqlite:///path"
    ) from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # IMMEDIATE takes the write lock when a transaction starts, so two
            # gunicorn workers queue on busy_timeout instead of one failing with
            # "database is locked" when it upgrades a read lock; WAL lets
            # readers run beside the writer.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, reading timestamps with psycopg's C loader.
    DATABASES["default"]["ENGINE"] = "api.postgresql"
    # Fail fast when the server is unreachable, so requests answer 503 instead
    # of hanging (psycopg otherwise waits for the OS TCP timeout).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", 2)
    # No one query may hold the database for long: past DB_STATEMENT_TIMEOUT
    # PostgreSQL cancels it, and the request is a 503 problem. (Behind a
    # pooler that refuses startup options, such as Neon's pooled endpoint,
    # set 0 here and `ALTER ROLE ... SET statement_timeout` instead.)
    if os.environ.get("DB_STATEMENT_TIMEOUT", "").strip() != "0":
        timeout_ms = env_seconds("DB_STATEMENT_TIMEOUT", 5) * 1000
        options.setdefault("options", f"-c statement_timeout={timeout_ms}")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background jobs and mail ------------------------------------------------

# TASKS_BACKEND=database (the default): jobs are rows in the database
# (django-tasks-db), enqueued in the transaction of the write that causes
# them, claimed by one worker each (`manage.py worker`, the Procfile's
# `worker:` line; any number of them). TASKS_BACKEND=redis: jobs are RQ jobs
# in Redis at REDIS_URL (django-tasks-rq), enqueued once the write commits
# (jobs.enqueue), for deployments whose database should not carry the queue.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database").strip() or "database"
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "redis":
    if not os.environ.get("REDIS_URL", "").strip():
        raise ImproperlyConfigured("TASKS_BACKEND=redis needs REDIS_URL.")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": os.environ["REDIS_URL"].strip()}}
    RQ = {"WORKER_CLASS": "jobs.rq.LeasedWorker", "JOB_CLASS": "django_tasks_rq.Job"}
else:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be 'database' or 'redis', not {TASKS_BACKEND!r}."
    )
# A job claimed this long ago and still running: its worker died; it runs again.
JOB_LEASE = env_seconds("JOB_LEASE", 600)
# Retries of a failing job (a mail server that is down): the delay doubles
# from JOB_RETRY_DELAY up to JOB_RETRY_MAX_DELAY, JOB_MAX_ATTEMPTS in all
# (the defaults cover more than a day of outage).
JOB_RETRY_DELAY = env_seconds("JOB_RETRY_DELAY", 30)
JOB_RETRY_MAX_DELAY = env_seconds("JOB_RETRY_MAX_DELAY", 3600)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 30)
# Finished jobs are kept this long for the admin, then pruned.
JOB_RETENTION = env_seconds("JOB_RETENTION", 7 * 86400)

# Mail goes through SMTP at EMAIL_URL (smtp://host:port, smtp+tls://user:
# pass@host:587 for STARTTLS, smtp+ssl://user:pass@host:465); without it, to
# the worker's terminal.
_email = env_email_url("EMAIL_URL")
if _email:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = env_seconds("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "todoapp <noreply@localhost>")

# Where the links in account mails point: an app with its own front end sets
# its address and serves /verify-email, /reset-password and /confirm-email;
# by default, the backend's own pages at the address the request came to.
ACCOUNT_LINK_BASE_URL = os.environ.get("ACCOUNT_LINK_BASE_URL", "").rstrip("/")
# The address users reach this server at, for links in mail sent outside a
# request (reminders' links: ACCOUNT_LINK_BASE_URL's /todos/<id> if set,
# else this server's page there).
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")
# Reminders (todos.reminder_delivery): every worker looks for those due
# every REMINDER_INTERVAL seconds; one it takes is its own for
# REMINDER_LEASE seconds (a worker that dies leaves it to another then).
REMINDER_INTERVAL = env_seconds("REMINDER_INTERVAL", 10)
REMINDER_LEASE = env_seconds("REMINDER_LEASE", 60)
# Sign-up does not sign in, and sign-in refuses an address not yet verified.
REQUIRE_EMAIL_VERIFICATION = env_bool("REQUIRE_EMAIL_VERIFICATION", False)
PASSWORD_RESET_TTL = env_seconds("PASSWORD_RESET_TTL", 3600)
EMAIL_VERIFICATION_TTL = env_seconds("EMAIL_VERIFICATION_TTL", 3 * 86400)

# --- Redis (optional) --------------------------------------------------------

# Shared counters (accounts.ratelimit) go to Redis when it is configured and to
# the database otherwise; nothing shared is ever kept in process memory.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # Fail open and fast: a Redis outage degrades rate limiting
                # instead of turning requests into 500s or hangs.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# --- Accounts, sessions, passwords -------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.SessionUserBackend"]

PASSWORD_HASHERS = [
    "accounts.hashers.BoundedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]

SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_AGE = env_seconds("SESSION_TTL", 7 * 86400)
# A session used this long after its expiry was last set gets a new expiry.
SESSION_REFRESH_AGE = env_seconds("SESSION_REFRESH_AGE", 86400)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Sign-up and sign-in, per client address; password checks, per user.
AUTH_THROTTLE_RATE = env_rate("AUTH_THROTTLE_RATE", "10/min")
# Every authenticated API call, per user.
USER_THROTTLE_RATE = env_rate("USER_THROTTLE_RATE", "1000/hour")
# Requests of one user in progress at once (counted in Redis: REDIS_URL), and
# how long a request may hold its slot if its worker dies mid-request.
USER_MAX_CONCURRENT = env_int("USER_MAX_CONCURRENT", 4)
REQUEST_SLOT_LEASE = 60
# Failed sign-ins for one email, from any address, before it is locked out
# until the window (opened by the first failure) closes.
SIGNIN_MAX_FAILURES = env_int("SIGNIN_MAX_FAILURES", 10)
SIGNIN_FAILURE_WINDOW = 15 * 60
# Mails of the account flows (reset and verification links) per address
# they go to, so the API cannot be used to flood a mailbox.
ACCOUNT_MAIL_THROTTLE_RATE = env_rate("ACCOUNT_MAIL_THROTTLE_RATE", "5/hour")
# Invitations to lists one user sends (each mails an address).
INVITATION_THROTTLE_RATE = env_rate("INVITATION_THROTTLE_RATE", "50/hour")
# How many proxies in front append to X-Forwarded-For (see accounts.client).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- Internationalisation ----------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed copies in STATIC_ROOT after `collectstatic`. No hashed names:
    # a manifest would make every page that links a file not yet collected a
    # 500, and only the admin and the docs pages use static files.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Also serve straight from the apps' folders, so a server started without
# `collectstatic` still has a styled admin and working docs pages.
WHITENOISE_USE_FINDERS = True
# Files served at the site root, such as /favicon.ico.
WHITENOISE_ROOT = BASE_DIR / "public"

# --- HTTP security -----------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_SAMESITE = "Lax"

if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Load balancers probe health over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Pages (admin, docs, root) load only their own files; the docs pages loosen
# it where their bundles need (todoapp.urls). API answers: api.csp.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = [
    "ETag",
    "Idempotent-Replayed",
    "Location",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "X-Request-ID",
]
CORS_ALLOW_HEADERS = (
    *default_cors_headers,
    "if-match",
    "if-none-match",
    "idempotency-key",
)
# A browser front end on an allowed origin posts with the CSRF token.
CSRF_TRUSTED_ORIGINS = CORS_ALLOWED_ORIGINS

# How long a POST's Idempotency-Key and its answer are kept for retries.
IDEMPOTENCY_TTL = env_seconds("IDEMPOTENCY_TTL", 24 * 3600)
# How long deleted todos stay in the change feed as tombstones.
TOMBSTONE_TTL = env_seconds("TOMBSTONE_TTL", 30 * 86400)

# Largest request body accepted (api.parsers enforces it for JSON).
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# --- REST framework and OpenAPI ----------------------------------------------

REST_FRAMEWORK = {
    # Bearer first: its scheme is the challenge in a 401's WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.sessions.BearerSessionAuthentication",
        "accounts.sessions.CookieSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.TokenScopes",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttles.UserThrottle"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.FallbackNegotiation",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "URL_FORMAT_OVERRIDE": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "todoapp API",
    "DESCRIPTION": (
        "Todo lists over REST. Sign up or sign in to get a token; send it as "
        "`Authorization: Bearer <token>` (or use the session cookie set by "
        "sign-in, with the `csrftoken` cookie's value in `X-CSRFToken` on "
        "unsafe methods). Every error is an RFC 9457 problem document "
        "(`application/problem+json`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Operations are tagged and named by what follows /api/v1/.
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One enum component per union tag value (api.fields.literal), shared
    # by the unions that use it.
    "ENUM_NAME_OVERRIDES": {
        "HealthStatusEnum": ["ok", "unavailable"],
        "OpCreateEnum": ["create"],
        "OpUpdateEnum": ["update"],
        "OpDeleteEnum": ["delete"],
        "OpMoveEnum": ["move"],
        "TypeTodoEnum": ["todo"],
        "TypeListEnum": ["list"],
        "OpUpsertEnum": ["upsert"],
        "RoleEnum": "todos.lists.Role",
        "GivenRoleEnum": "todos.sharing_serializers.GIVEN_ROLES",
    },
    # The schema and docs pages are public; credentials sent to them are ignored.
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.link_created_resources",
    ],
}

# --- Logging -----------------------------------------------------------------

# One JSON line per request on stdout (api.request_log's `request_finished`),
# and JSON for every other log record too.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "api.request_log.JsonFormatter",
            "processor": structlog.processors.JSONRenderer(),
            "foreign_pre_chain": [
                structlog.contextvars.merge_contextvars,
                structlog.processors.TimeStamper(fmt="iso"),
                structlog.stdlib.add_logger_name,
                structlog.stdlib.add_log_level,
                structlog.processors.format_exc_info,
            ],
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # api.request_log already logs every request; Django's request
        # logger would log each 4xx/5xx a second time.
        "django.request": {"level": "CRITICAL"},
        "django.server": {"level": "CRITICAL"},
    },
}

structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.filter_by_level,
        structlog.processors.TimeStamper(fmt="iso"),
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.processors.UnicodeDecoder(),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    cache_logger_on_first_use=True,
)
