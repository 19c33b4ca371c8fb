"""Django settings, read once from the environment (see docs/configuration.md).

Safe defaults: SQLite in the data directory, debug off, a secret key generated into the data
directory on first run and never committed.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from testigo.config.env import (
    default_data_dir,
    env_bool,
    env_int,
    env_list,
    env_str,
    secret_key_from,
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("TESTIGO_DATA_DIR") or default_data_dir()).expanduser().resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env_str("TESTIGO_SECRET_KEY") or secret_key_from(DATA_DIR)
DEBUG = env_bool("TESTIGO_DEBUG", False)
ALLOWED_HOSTS = env_list("TESTIGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "testigo.audit",
    "testigo.accounts",
    "testigo.ui",
    "testigo.core",
    "testigo.countrypacks",
    "testigo.matching",
    "testigo.estimates",
    "testigo.evidence",
    "testigo.imports",
    "testigo.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "testigo.audit.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: runs the view of every POST (PUT, PATCH, DELETE) in one transaction.
    "testigo.config.middleware.AtomicUnsafeRequestsMiddleware",
]

ROOT_URLCONF = "testigo.config.urls"
WSGI_APPLICATION = "testigo.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "testigo.ui.context_processors.ui",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'testigo.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("TESTIGO_DATABASE_URL") or _default_db, conn_max_age=60
    )
}
# Every request that changes something is one transaction (AtomicUnsafeRequestsMiddleware), so an
# audit entry and the change it records commit together. Not ATOMIC_REQUESTS: with SQLite's
# IMMEDIATE transactions it made every page view, reads included, hold the single write lock.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

SESSION_COOKIE_AGE = env_int("TESTIGO_SESSION_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
_https = env_bool("TESTIGO_HTTPS", False)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https

LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# The app serves its own static files (WhiteNoise), straight from the installed package: no CDN,
# no separate web server, no collectstatic step needed to run.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Background work (imports, linkage, estimates) runs through django-tasks with its database
# backend: `testigo db_worker` runs the queue (`testigo serve` starts one beside the web server).
TASKS = {
    "default": {
        "BACKEND": env_str("TESTIGO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

TESTIGO_COUNTRY_PACK = env_str("TESTIGO_COUNTRY_PACK", "ve")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("TESTIGO_LOG_LEVEL", "WARNING")},
}
