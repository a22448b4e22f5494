"""Settings for the benchmarks: the project's own, on PostgreSQL only."""

import os

os.environ.setdefault("SECRET_KEY", "ccadmin-bench-only")

from ccadmin.settings import *  # noqa: F403
from ccadmin.settings import DATABASES, INSTALLED_APPS

# The anchor: the same client data tables with Django's Python-level cascade.
INSTALLED_APPS = [*INSTALLED_APPS, "bench.pycascade"]

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise SystemExit("bench: DATABASE_URL must point at PostgreSQL.")

# The benchmarks print their own numbers; Django's request logging would only add noise.
LOGGING = {"version": 1, "disable_existing_loggers": False}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = None

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
