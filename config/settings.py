"""Django settings: wiring only. Values come from config.env (the environment)."""

from __future__ import annotations

from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config import env

BASE_DIR = env.BASE_DIR
DEBUG = env.DEBUG
TESTING = env.TESTING

_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"  # noqa: S105
SECRET_KEY = env.SECRET_KEY or (_DEV_SECRET if (DEBUG or TESTING) else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
# Fernet key (urlsafe base64, 32 bytes). The development key is derived from SECRET_KEY so
# a first run needs nothing; production sets FIELD_ENCRYPTION_KEY explicitly.
FIELD_ENCRYPTION_KEY = env.FIELD_ENCRYPTION_KEY
if not FIELD_ENCRYPTION_KEY and not (DEBUG or TESTING):
    # Deriving the key from SECRET_KEY would make rotating SECRET_KEY destroy all encrypted data.
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off")
BEHIND_PROXY = env.BEHIND_PROXY
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
if env.SECURE_COOKIES:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_SSL_REDIRECT = True

ALLOWED_HOSTS = env.ALLOWED_HOSTS
CSRF_TRUSTED_ORIGINS = env.CSRF_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "treebeard",
    "gonghui.core",
    "gonghui.accounts",
    "gonghui.audit",
    "gonghui.orgs",
    "gonghui.members",
    "gonghui.mutual_aid",
    "gonghui.innovation",
    "gonghui.assist",
    "gonghui.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gonghui.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "gonghui.core.middleware.NotFoundMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "gonghui.core.context_processors.navigation",
            ],
        },
    }
]

DATABASES: dict[str, Any] = {
    "default": dj_database_url.parse(env.DATABASE_URL, conn_max_age=60),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the in-process job runner and page requests share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "gonghui.accounts.backends.PhoneCodeBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests create many users. Production keeps Argon2.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.STATIC_ROOT
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor", BASE_DIR / "node_modules" / ".gonghui-vendor"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = env.MEDIA_ROOT
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.SECURE_COOKIES
CSRF_COOKIE_SECURE = env.SECURE_COOKIES
SESSION_COOKIE_AGE = 8 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

if env.REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env.REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with no broker configured tasks run in-process, so a first run needs nothing else.
CELERY_BROKER_URL = env.CELERY_BROKER_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not env.CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Periodic jobs (run by exactly one `celery beat`, see docs/deploy.md); all idempotent.
CELERY_BEAT_SCHEDULE = {
    "assist-clinic-reminders": {
        "task": "assist.clinic.send_reminders",
        "schedule": crontab(hour=9, minute=0, day_of_week="mon-sat"),
    },
    "assist-challenges-close-expired": {
        "task": "assist.challenges.close_expired",
        "schedule": crontab(hour=0, minute=30),
    },
    "core-reap-stale-jobs": {
        "task": "core.jobs.reap_stale",
        "schedule": crontab(minute="*/15"),
    },
    "assist-prune-library-changes": {
        "task": "assist.resident.prune_library_changes",
        "schedule": crontab(hour=3, minute=40),
    },
}

SMS_BACKEND = env.SMS_BACKEND
SMS_HTTP_URL = env.SMS_HTTP_URL
SMS_HTTP_API_KEY = env.SMS_HTTP_API_KEY
SMS_SIGN_NAME = env.SMS_SIGN_NAME
ASSIST_RESIDENT_INDEX = env.ASSIST_RESIDENT_INDEX
ASSIST_RESIDENT_SYNC_LIMIT = env.ASSIST_RESIDENT_SYNC_LIMIT
SMS_CODE_TTL_SECONDS = 300
SMS_CODE_RESEND_SECONDS = 60
SMS_CODE_MAX_PER_HOUR = 5
SMS_CODE_MAX_ATTEMPTS = 5
LOGIN_MAX_FAILURES = 5
LOGIN_LOCKOUT_SECONDS = 900
BANK_PAYER_ACCOUNT = env.BANK_PAYER_ACCOUNT
BANK_PAYER_NAME = env.BANK_PAYER_NAME

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "gonghui.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["gonghui.api.auth.HasTokenScope"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "gonghui.api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "gonghui.api.errors.exception_handler",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min", "user": "3000/min"},
}
# An unset choice filter reads "全部" (all), not Django's "---------".
FILTERS_EMPTY_CHOICE_LABEL = "全部"

SPECTACULAR_SETTINGS = {
    "TITLE": "数智工会 Gonghui API",
    "DESCRIPTION": "REST API v1. Errors are always {code, message, field}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Never call the public swagger.io validator: users' networks may be closed.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.LOG_LEVEL},
    "loggers": {"django.request": {"level": "ERROR"}, "faker": {"level": "WARNING"}},
}

GONGHUI_SITE_NAME = _("数智工会")
