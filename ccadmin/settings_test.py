"""Settings for the test suite: the real settings with a test key and fast hashing."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "ccadmin-tests-only")
os.environ.setdefault("DEBUG", "false")

from ccadmin.settings import *  # noqa: F403

# Tests run over plain HTTP through Django's client.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CLIENT_PARTITION_LIMIT = 20
STATIC_ROOT = None  # nothing collected; whitenoise then has nothing to preload
# Templates render {% static %} without a collectstatic manifest.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each test process keeps offboarding exports in its own temporary folder.
CLIENT_PARTITION_EXPORT_DIR = Path(tempfile.mkdtemp(prefix="ccadmin-exports-"))
# ... and the uploads "Import contacts" keeps between its steps.
CONTACT_IMPORT_UPLOAD_DIR = Path(tempfile.mkdtemp(prefix="ccadmin-import-uploads-"))
