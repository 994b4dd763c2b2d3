"""GridGov settings, all of them read from the environment.

No variable set gives a development profile: SQLite under ``./var/``, background work run
in-process by ``gridgov serve``, secrets generated once under ``var/secrets/``.
``GRIDGOV_PROFILE=production`` turns missing secrets into start-up errors.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from gridgov.config.env import (
    ImproperlyConfiguredError,
    development_secret,
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_field_keys,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("GRIDGOV_VAR_DIR", str(Path.cwd() / "var")) or "var").resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

PROFILE = env_str("GRIDGOV_PROFILE", "development")
if PROFILE not in {"development", "production", "test"}:
    raise ImproperlyConfiguredError(
        f"GRIDGOV_PROFILE must be development, production or test, got {PROFILE!r}"
    )
IS_PRODUCTION = PROFILE == "production"
DEBUG = env_bool("GRIDGOV_DEBUG", default=False)
# The demo switches two-factor off for its printed accounts and says so on every page.
DEMO_MODE = env_bool("GRIDGOV_DEMO", default=False)
if DEMO_MODE and IS_PRODUCTION:
    raise ImproperlyConfiguredError("GRIDGOV_DEMO cannot be set in the production profile")


def _secret(name: str, dev_file: str, nbytes: int = 32) -> str:
    value = env_str(name)
    if value:
        return value
    if IS_PRODUCTION:
        raise ImproperlyConfiguredError(f"{name} must be set in the production profile")
    return development_secret(VAR_DIR, dev_file, nbytes)


SECRET_KEY = _secret("SECRET_KEY", "secret_key", 50)

# Field encryption (DESIGN D6): "id:base64key,id:base64key"; the first key encrypts,
# every listed key decrypts, so keys rotate without rewriting all rows at once.
_field_keys_raw = env_str("GRIDGOV_FIELD_KEYS")
if not _field_keys_raw:
    if IS_PRODUCTION:
        raise ImproperlyConfiguredError("GRIDGOV_FIELD_KEYS must be set in the production profile")
    _dev_key = hashlib.sha256(development_secret(VAR_DIR, "field_key").encode()).digest()
    _field_keys_raw = "dev1:" + base64.urlsafe_b64encode(_dev_key).decode("ascii")
FIELD_ENCRYPTION_KEYS: list[tuple[str, bytes]] = parse_field_keys(_field_keys_raw)
# Keyed hash for exact lookup of encrypted values (HMAC-SHA256).
LOOKUP_HASH_KEY = _secret("GRIDGOV_HASH_KEY", "hash_key", 32)

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver", "[::1]"]
)
if IS_PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfiguredError("ALLOWED_HOSTS must be set in the production profile")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "js_lib_bootstrap5",
    "js_lib_bootstrap_icons",
    "js_lib_htmx",
    "js_lib_leaflet",
    "django_static_echarts",
    "gridgov.core",
    "gridgov.accounts",
    "gridgov.grids",
    "gridgov.registry",
    "gridgov.cases",
    "gridgov.sensing",
    "gridgov.participation",
    "gridgov.demo",
    "gridgov.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridgov.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gridgov.accounts.middleware.SessionTimeoutMiddleware",
    "gridgov.accounts.middleware.TwoFactorRequiredMiddleware",
    "gridgov.core.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "gridgov.config.urls"
WSGI_APPLICATION = "gridgov.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gridgov.web.context_processors.shell",
            ],
        },
    },
]

# --- Database (DESIGN D3) -------------------------------------------------------------
_database_url = env_str("DATABASE_URL")
if _database_url:
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url, conn_max_age=env_int("GRIDGOV_DB_CONN_MAX_AGE", 60)
        )
    }
else:
    _sqlite_name = env_str("GRIDGOV_SQLITE_NAME", "gridgov.sqlite3") or "gridgov.sqlite3"
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / _sqlite_name,
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

# Password policy (OWASP ASVS V2.1, 等保 2.0 level 3): length and a common/breached list,
# no composition rules.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("GRIDGOV_PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "gridgov.accounts.passwords.BreachedPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Login security --------------------------------------------------------------------
LOGIN_FAILURE_LIMIT = env_int("GRIDGOV_LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("GRIDGOV_LOGIN_FAILURE_WINDOW", 15 * 60)
LOGIN_LOCKOUT_SECONDS = env_int("GRIDGOV_LOGIN_LOCKOUT", 15 * 60)
SESSION_IDLE_TIMEOUT_SECONDS = env_int("GRIDGOV_SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT_SECONDS = env_int("GRIDGOV_SESSION_ABSOLUTE_TIMEOUT", 12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
TOTP_ISSUER = env_str("GRIDGOV_TOTP_ISSUER", "GridGov") or "GridGov"

# --- Security headers (checked by ``gridgov check --deploy``) -------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("GRIDGOV_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("GRIDGOV_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("GRIDGOV_HSTS_PRELOAD", default=True)

# --- Language and time (DESIGN D9, D12) --------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS: list[str] = []  # every app keeps its own catalogue in <app>/locale
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files (served locally, no CDN) ------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
if not IS_PRODUCTION:
    # Development serves from the app directories; an empty root keeps WhiteNoise quiet.
    STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# --- Background work (DESIGN D4) -------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or env_str("BROKER_URL")
# No broker: tasks run in-process; ``gridgov serve`` also runs the periodic schedule.
EMBEDDED_WORKER = CELERY_BROKER_URL is None
CELERY_TASK_ALWAYS_EAGER = EMBEDDED_WORKER
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Keep Django's logging (and its personal-data filter) in workers instead of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "grids-recompute-statistics": {
        "task": "gridgov.grids.tasks.recompute_cell_statistics",
        "schedule": float(env_int("GRIDGOV_STATS_INTERVAL", 15 * 60)),
    },
    "accounts-expire-sessions": {
        "task": "gridgov.accounts.tasks.expire_stale_sessions",
        "schedule": float(env_int("GRIDGOV_SESSION_SWEEP_INTERVAL", 60 * 60)),
    },
    "registry-remind-expiring-leases": {
        "task": "gridgov.registry.tasks.remind_expiring_leases",
        "schedule": float(env_int("GRIDGOV_LEASE_REMINDER_INTERVAL", 24 * 60 * 60)),
    },
    "registry-recompute-rule-tags": {
        "task": "gridgov.registry.tasks.recompute_rule_tags",
        "schedule": float(env_int("GRIDGOV_RULE_TAGS_INTERVAL", 24 * 60 * 60)),
    },
    "cases-scan-deadlines": {
        "task": "gridgov.cases.tasks.scan_deadlines",
        "schedule": float(env_int("GRIDGOV_CASE_SCAN_INTERVAL", 5 * 60)),
    },
    "cases-close-unrated": {
        "task": "gridgov.cases.tasks.close_unrated",
        "schedule": float(env_int("GRIDGOV_CASE_AUTOCLOSE_INTERVAL", 60 * 60)),
    },
    "cases-deliver-notifications": {
        "task": "gridgov.cases.tasks.deliver_notifications",
        "schedule": float(env_int("GRIDGOV_NOTIFICATION_INTERVAL", 60)),
    },
    "sensing-scan-offline-devices": {
        "task": "gridgov.sensing.tasks.scan_offline_devices",
        "schedule": float(env_int("GRIDGOV_DEVICE_OFFLINE_SCAN_INTERVAL", 60)),
    },
    "sensing-scan-conditions": {
        "task": "gridgov.sensing.tasks.scan_conditions",
        "schedule": float(env_int("GRIDGOV_SCENARIO_SCAN_INTERVAL", 30)),
    },
    "sensing-event-partitions": {
        "task": "gridgov.sensing.tasks.ensure_event_partitions",
        "schedule": float(env_int("GRIDGOV_EVENT_PARTITION_INTERVAL", 24 * 60 * 60)),
    },
    "participation-close-due-votes": {
        "task": "gridgov.participation.tasks.close_due_votes",
        "schedule": float(env_int("GRIDGOV_VOTE_CLOSE_INTERVAL", 60)),
    },
    "participation-consultation-reminders": {
        "task": "gridgov.participation.tasks.consultation_reminders",
        "schedule": float(env_int("GRIDGOV_CONSULTATION_REMINDER_INTERVAL", 60 * 60)),
    },
}

# --- People and housing (registry) ---------------------------------------------------------
# Group-rental (群租) warning: less floor area per occupant than this (m²). Shanghai's rule on
# residential leasing sets 5 m² per person as the minimum.
GRIDGOV_MIN_AREA_PER_OCCUPANT_M2 = env_int("GRIDGOV_MIN_AREA_PER_OCCUPANT_M2", 5)
# Rows one Excel upload may hold (people, places or leases); larger files are refused whole.
GRIDGOV_IMPORT_MAX_ROWS = env_int("GRIDGOV_IMPORT_MAX_ROWS", 200_000)
# Leases ending within this many days are listed for follow-up and reminded to grid workers.
GRIDGOV_LEASE_REMINDER_DAYS = env_int("GRIDGOV_LEASE_REMINDER_DAYS", 30)

# --- Cases (工单) ----------------------------------------------------------------------------
# Reminders go out this many hours before an accept or resolve deadline.
GRIDGOV_CASE_REMIND_BEFORE_HOURS = env_int("GRIDGOV_CASE_REMIND_BEFORE_HOURS", 4)
# A resolved case nobody rated within this many days closes by itself.
GRIDGOV_CASE_AUTOCLOSE_DAYS = env_int("GRIDGOV_CASE_AUTOCLOSE_DAYS", 7)
# Seconds a web process keeps its copy of the category catalogue and the calendar's local
# overrides (an edit reaches the other processes within this time; 0 turns the copies off).
GRIDGOV_LOOKUP_TTL_SECONDS = env_int("GRIDGOV_LOOKUP_TTL_SECONDS", 10)
# A case whose deadline passes is handed up to the parent cell.
GRIDGOV_CASE_ESCALATE_OVERDUE = env_bool("GRIDGOV_CASE_ESCALATE_OVERDUE", True)
# Largest photo or voice recording accepted (bytes).
GRIDGOV_UPLOAD_MAX_BYTES = env_int("GRIDGOV_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# SMS gateway: "console" (log, masked numbers) or "http" (JSON POST to GRIDGOV_SMS_URL).
GRIDGOV_SMS_BACKEND = env_str("GRIDGOV_SMS_BACKEND", "console")
GRIDGOV_SMS_URL = env_str("GRIDGOV_SMS_URL", "")
GRIDGOV_SMS_TOKEN = env_str("GRIDGOV_SMS_TOKEN", "")
# Open311 GeoReport v2: the jurisdiction_id clients must send (empty: not checked), whether
# cases from every channel are listed publicly (default: only those filed over Open311, since a
# resident's own words may carry personal details), the cap of one listing, the contact shown.
GRIDGOV_OPEN311_JURISDICTION = env_str("GRIDGOV_OPEN311_JURISDICTION", "")
GRIDGOV_OPEN311_PUBLISH_ALL = env_bool("GRIDGOV_OPEN311_PUBLISH_ALL", False)
GRIDGOV_OPEN311_MAX_REQUESTS = env_int("GRIDGOV_OPEN311_MAX_REQUESTS", 1000)
GRIDGOV_OPEN311_CONTACT = env_str("GRIDGOV_OPEN311_CONTACT", "")

# --- Sensing: device ingestion (DESIGN D5; docs/devices.md, docs/operations.md) -------------
# Largest message a device may send (bytes) and most events one message may carry.
GRIDGOV_SENSING_MAX_PAYLOAD_BYTES = env_int("GRIDGOV_SENSING_MAX_PAYLOAD_BYTES", 256 * 1024)
GRIDGOV_SENSING_MAX_EVENTS_PER_MESSAGE = env_int("GRIDGOV_SENSING_MAX_EVENTS_PER_MESSAGE", 500)
# Requests one device may make to the HTTP ingestion endpoint (DRF rate syntax).
GRIDGOV_SENSING_HTTP_RATE = env_str("GRIDGOV_SENSING_HTTP_RATE", "600/minute") or "600/minute"
# Broker of `gridgov ingest-mqtt`: mqtt://host:1883 or mqtts://host:8883; empty: no broker (the
# command refuses to start unless given --url, and devices send over HTTP). Credentials never go
# in the URL: GRIDGOV_MQTT_USERNAME / GRIDGOV_MQTT_PASSWORD.
GRIDGOV_MQTT_URL = env_str("GRIDGOV_MQTT_URL", "") or ""
GRIDGOV_MQTT_USERNAME = env_str("GRIDGOV_MQTT_USERNAME", "") or ""
GRIDGOV_MQTT_PASSWORD = env_str("GRIDGOV_MQTT_PASSWORD", "") or ""
# Ingesters of one shared-subscription group share the stream, each message going to one of them.
GRIDGOV_MQTT_GROUP = env_str("GRIDGOV_MQTT_GROUP", "gridgov") or "gridgov"
# A namespace in front of the topics (``town-a/``) when one broker serves several deployments.
GRIDGOV_MQTT_TOPIC_PREFIX = env_str("GRIDGOV_MQTT_TOPIC_PREFIX", "") or ""
# Seconds the broker keeps an ingester's session (and the messages for it) while it is away.
GRIDGOV_MQTT_SESSION_EXPIRY = env_int("GRIDGOV_MQTT_SESSION_EXPIRY", 7 * 24 * 60 * 60)

# --- API (DESIGN D10) -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "gridgov.core.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": "10/minute"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "GridGov API",
    "DESCRIPTION": "网格治理平台 API — grid cells, staff and (as they land) people, cases, devices.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets shared by several components get one stable name each.
    "ENUM_NAME_OVERRIDES": {
        "EstateKindEnum": "gridgov.registry.models.Estate.Kind",
        "ImportKindEnum": "gridgov.registry.models.ImportJob.Kind",
        "ImportStatusEnum": "gridgov.registry.models.ImportJob.Status",
        "LeaseStatusEnum": "gridgov.registry.models.Lease.Status",
        "CaseStatusEnum": "gridgov.cases.models.Status",
        "CaseChannelEnum": "gridgov.cases.models.Channel",
        "AlarmStatusEnum": "gridgov.sensing.models.AlarmStatus",
        "ScenarioKindEnum": "gridgov.sensing.models.ScenarioKind",
        "ConsultationStatusEnum": "gridgov.participation.models.consultations.Consultation.Status",
        "ProjectStatusEnum": "gridgov.participation.models.projects.Project.Status",
    },
}

# --- People and housing: data quality (docs/data-quality.md) ------------------------------
# A residency counts as verified when a visit or check confirmed it within this many days.
GRIDGOV_VERIFICATION_MAX_AGE_DAYS = env_int("GRIDGOV_VERIFICATION_MAX_AGE_DAYS", 180)

# --- Maps -----------------------------------------------------------------------------------
# A tile URL template for Leaflet on the government network; empty shows boundaries on a
# plain background.
MAP_TILE_URL = env_str("GRIDGOV_MAP_TILE_URL", "") or ""
MAP_TILE_ATTRIBUTION = env_str("GRIDGOV_MAP_TILE_ATTRIBUTION", "") or ""

# --- Logging: no personal data (DESIGN D8) ------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "gridgov.core.logging.RedactPersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDGOV_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"level": "WARNING"},
    },
}
