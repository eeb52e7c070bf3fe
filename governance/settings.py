"""Settings, driven by environment variables with safe defaults.

No variable set: a SQLite file and Celery's embedded filesystem broker, so `make run` works on a
bare machine. DATABASE_URL and CELERY_BROKER_URL switch on PostgreSQL and Redis.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if not DEBUG and not env_bool("ALLOW_DEV_SECRET_KEY"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development: generate once and keep it, so sessions survive a restart.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "grids",
    "disputes",
    "legal_services",
    "governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "governance.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Issue 12: with DEBUG on, Django's debug pages for superusers only (governance/errors.py).
    "governance.errors.FriendlyErrorsMiddleware",
]

ROOT_URLCONF = "governance.urls"
WSGI_APPLICATION = "governance.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "governance.context_processors.header",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'governance.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "grids.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
GUARDIAN_MONKEY_PATCH_USER = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end libraries from the npm registry (package.json), served by the app: no CDN.
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
    # ECharts is not here: the pages load the slim bundle esbuild makes from it (static/build/), and
    # publishing its 46 MB dist made collectstatic's compression take minutes.
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("STATIC_MANIFEST", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: attachments go through a scoped view

# Uploads: checked by content, capped in size and count.
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
UPLOAD_MAX_FILES = int(os.environ.get("UPLOAD_MAX_FILES", 9))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Security: strict when DEBUG is off (checked by `manage.py check --deploy` in CI).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Cache and broker: embedded by default, Redis when CELERY_BROKER_URL points at it.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "out").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "control_folder": str(_broker_dir / "control"),
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "data_folder_processed": str(_broker_dir / "processed"),
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("REDIS_CACHE_URL", CELERY_BROKER_URL),
            "KEY_PREFIX": "governance",
        }
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Publishing must fail fast when the broker is down: the outbox keeps the work.
CELERY_BROKER_TRANSPORT_OPTIONS.setdefault("max_retries", 1)
CELERY_BROKER_CONNECTION_TIMEOUT = 2

SWEEP_INTERVAL_SECONDS = int(os.environ.get("SWEEP_INTERVAL_SECONDS", 60))
# Due clocks lapsed per transaction by the sweep (each batch commits on its own).
SWEEP_BATCH_SIZE = int(os.environ.get("SWEEP_BATCH_SIZE", 2000))
CELERY_BEAT_SCHEDULE = {
    "sweep-deadlines": {
        "task": "disputes.tasks.sweep_deadlines",
        "schedule": SWEEP_INTERVAL_SECONDS,
        "options": {"expires": max(SWEEP_INTERVAL_SECONDS - 5, 5)},
    },
    "weekly-reports": {
        "task": "governance.tasks.make_weekly_reports",
        "schedule": crontab(minute=0, hour=8, day_of_week="mon"),
        "options": {"expires": 3600},
    },
    "monthly-ranking": {
        "task": "governance.tasks.make_monthly_reports",
        "schedule": crontab(minute=0, hour=8, day_of_month=1),
        "options": {"expires": 3600},
    },
}
# The outbox relay: re-publishes what the broker refused or lost (issue 18, defect 10).
CELERY_BEAT_SCHEDULE["relay-outbox"] = {
    "task": "grids.tasks.relay",
    "schedule": 60,
    "options": {"expires": 55},
}
# Legal services: the legal-aid review clock, swept as often as the cases' clocks.
CELERY_BEAT_SCHEDULE["sweep-legal-aid"] = {
    "task": "governance.tasks.sweep_legal_deadlines",
    "schedule": SWEEP_INTERVAL_SECONDS,
    "options": {"expires": max(SWEEP_INTERVAL_SECONDS - 5, 5)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "governance@localhost")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "grids.api_base.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "grids.api_base.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Grid governance API",
    "DESCRIPTION": "网格化社会治理 — cases, territory, people, dashboards and reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ReportKindEnum": "governance.models.ReportKind",
        "CaseKindEnum": "disputes.models.Kind",
        "CaseStatusEnum": "disputes.models.Status",
        "AssignmentStatusEnum": "disputes.models.AssignmentStatus",
        "ExtensionStatusEnum": "disputes.models.ExtensionStatus",
        # Dispute mediation (disputes/mediation/models.py).
        "DisputeStatusEnum": "disputes.mediation.models.DisputeStatus",
        "DisputeKindEnum": "disputes.mediation.models.DisputeKind",
        "DisputeSourceEnum": "disputes.mediation.models.DisputeSource",
        "CaseSourceEnum": "disputes.models.Source",
        "PartyRoleEnum": "disputes.mediation.models.PartyRole",
        "MediationOrgKindEnum": "disputes.mediation.models.OrgKind",
        "RiskLevelEnum": "disputes.mediation.models.RiskLevel",
        "ReferralTargetEnum": "disputes.mediation.models.ReferralTarget",
    },
}

# Legal services: names of its choice sets in the OpenAPI schema.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] |= {
    "LegalMatterEnum": "legal_services.models.MatterKind",
    "LawTopicEnum": "legal_services.models.LawTopic",
    "ConsultationStatusEnum": "legal_services.models.ConsultationStatus",
    "AidStatusEnum": "legal_services.models.AidStatus",
}

# Working time for deadlines (Asia/Shanghai), "HH:MM-HH:MM" periods.
WORKING_PERIODS = env_list("WORKING_PERIODS", "08:30-12:00,14:00-17:30")
DUPLICATE_RADIUS_M = int(os.environ.get("DUPLICATE_RADIUS_M", 100))
DUPLICATE_DAYS = int(os.environ.get("DUPLICATE_DAYS", 7))
REPORT_WEIGHTS = tuple(float(w) for w in env_list("REPORT_WEIGHTS", "30,35,35"))
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "governance-demo")
SMS_BACKEND = os.environ.get("SMS_BACKEND", "grids.sms.ConsoleSmsBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --------------------------------------------------------------------------------------------------
# Hardening (issue 18). Appended blocks, so the merge with other branches stays easy.

# Request bodies: non-file bodies (JSON, forms) are capped here; the JSON parser enforces it while
# reading (DRF reads JSON from the stream, past Django's own check) and limits nesting.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024))
JSON_MAX_DEPTH = 20
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "grids.api_base.JSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
MIDDLEWARE.insert(1, "governance.middleware.BodySizeLimitMiddleware")
MIDDLEWARE.insert(2, "governance.middleware.PrivateNoStoreMiddleware")
# Near the inside (only axes, which has no process_exception, comes after): it sees a lost database
# before anything else turns it into a 500.
MIDDLEWARE.append("governance.middleware.DatabaseUnavailableMiddleware")

# Per-device API tokens with expiry and revoke (django-rest-knox). `Authorization: Token <token>`
# as before; each sign-in gets its own token, unused for API_TOKEN_TTL_HOURS it expires;
# POST /api/v1/auth/logout/ revokes the caller's token, /auth/logoutall/ all of theirs.
INSTALLED_APPS.remove("rest_framework.authtoken")
INSTALLED_APPS += ["knox", "axes", "csp"]
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "knox.auth.TokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=int(os.environ.get("API_TOKEN_TTL_HOURS", 72))),
    "AUTO_REFRESH": True,  # the TTL runs from the last use: an idle device's token lapses
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": None,
}

# Login lockout keyed on the username (django-axes): never on the address alone, since a town
# center sits behind one NAT address. AXES_FAILURE_LIMIT failures lock that username for
# AXES_COOLOFF_MINUTES on the login page, the admin and the token endpoint alike.
AUTHENTICATION_BACKENDS.insert(0, "grids.auth.LockoutBackend")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 10))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", 15)))
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "grids.auth.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AUTH_PASSWORD_VALIDATORS[1] = {
    "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
    "OPTIONS": {"min_length": 10},
}
AUTH_PASSWORD_VALIDATORS.append({"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"})
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 12 * 3600))

# Content-Security-Policy (django-csp 4): scripts only from our own static files, no inline script
# or event handler; inline styles stay allowed (Leaflet and ECharts set them).
from csp.constants import NONE, SELF  # noqa: E402

MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Database connections, bounded: a thread keeps one persistent connection (checked before reuse);
# the server's workers × threads (bin/run-all, the README's gunicorn line) stay well inside
# PostgreSQL's max_connections, and a request that still cannot connect answers 503.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT", 5))
    )

# Secure cookies and HSTS when DEBUG is off (set above); the session cookie is not readable by
# scripts, and CSRF_COOKIE_SECURE/SESSION_COOKIE_SECURE follow SECURE_COOKIES.
SESSION_COOKIE_SAMESITE = "Lax"
# axes.W006 warns that a lockout without the address can be dodged by rotating user agents or
# cookies; ours is keyed on the username alone on purpose (see above), which neither changes.
# models.W040: SQLite (the embedded default) ignores an index's INCLUDE columns; the covering
# indexes of the dispute figures (disputes/mediation/models.py) are for PostgreSQL, and on SQLite
# they are plain indexes on the same key, which is all a demo needs.
SILENCED_SYSTEM_CHECKS = ["axes.W006", "models.W040"]
LOGGING["loggers"]["axes"] = {"level": "WARNING"}
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "grids.api_base.document_error_responses",
]

# Issue 16 (phone and offline): the map. MAP_TILE_URL points Leaflet at an intranet tile server (天地图 or
# a self-hosted one), e.g. "https://tiles.example.gov.cn/vec_w/{z}/{x}/{y}.png"; without it the maps show
# the generated vector base map (grids.MapFeature) only. See README "Map tiles".
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
MAP_TILE_SUBDOMAINS = os.environ.get("MAP_TILE_SUBDOMAINS", "")
MAP_MIN_ZOOM = int(os.environ.get("MAP_MIN_ZOOM", 3))
MAP_MAX_ZOOM = int(os.environ.get("MAP_MAX_ZOOM", 18))

# Residents in the loop (issue 15): the key of the demo Open311 client that seed_demo creates.
OPEN311_DEMO_KEY = os.environ.get("OPEN311_DEMO_KEY", "demo-open311-key")

# Read replica (issue 17): with DATABASE_REPLICA_URL, dashboards and reports read from a streaming
# replica through grids.dbrouter; everything else, and every write, uses "default".
DATABASE_ROUTERS = ["grids.dbrouter.ReplicaRouter"]
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=DATABASES["default"].get("CONN_MAX_AGE", 0)
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
