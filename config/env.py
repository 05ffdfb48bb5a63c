"""Every setting read from the environment, in one place.

Nothing else in the project reads ``os.environ``: tests and deployment change behaviour
only through these variables (documented in docs/deploy.md).
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", default=False)
TESTING = env_bool("GONGHUI_TESTING", default=False)
# A development secret is only acceptable while DEBUG is on or under tests; production
# must set SECRET_KEY (settings refuse to start otherwise).
SECRET_KEY = env_str("SECRET_KEY")
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY")
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'gonghui.sqlite3'}")
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SMS_BACKEND = env_str("SMS_BACKEND", "gonghui.accounts.sms.ConsoleSmsBackend")
SMS_HTTP_URL = env_str("SMS_HTTP_URL")
SMS_HTTP_API_KEY = env_str("SMS_HTTP_API_KEY")
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "数智工会")
BANK_PAYER_ACCOUNT = env_str("BANK_PAYER_ACCOUNT", "")
BANK_PAYER_NAME = env_str("BANK_PAYER_NAME", "示范区总工会")
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media"))
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static"))
SECURE_COOKIES = env_bool("SECURE_COOKIES", default=False)
# Behind a load balancer that sets X-Forwarded-For / X-Forwarded-Proto (see docs/deploy.md).
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=False)
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# Matching from a per-process in-memory index (gonghui/assist/resident.py); libraries up to the
# limit are (re)built inside the request, larger ones on a background thread.
ASSIST_RESIDENT_INDEX = env_bool("ASSIST_RESIDENT_INDEX", default=True)
ASSIST_RESIDENT_SYNC_LIMIT = env_int("ASSIST_RESIDENT_SYNC_LIMIT", 10_000)
