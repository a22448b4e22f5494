"""Settings of the contact center administrator, read from the environment.

Every value a deployment changes comes from an environment variable (or a `.env` file
beside manage.py) through django-environ; `.env.example` documents each one.
"""

from datetime import timedelta
from pathlib import Path

import environ
import phonenumbers
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is optional: production sets real environment variables instead.
env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (see .env.example)."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "django-insecure-ccadmin-local-development-only"  # noqa: S105

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# How many client partitions (BPO clients) one tenant may have; a tenant's own
# client_partition_limit overrides it (see partitions/limit.py).
CLIENT_PARTITION_LIMIT = env.int("CLIENT_PARTITION_LIMIT", default=20)
if CLIENT_PARTITION_LIMIT < 0:
    raise ImproperlyConfigured("CLIENT_PARTITION_LIMIT must be 0 or more.")

# The region (ISO 3166 code) of phone numbers written without a country code, for a
# tenant that has no default_phone_region of its own (contacts/phones.py).
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="JP").strip().upper()
if PHONE_DEFAULT_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(
        f"PHONE_DEFAULT_REGION={PHONE_DEFAULT_REGION!r} is not a region code like JP."
    )

INSTALLED_APPS = [
    "ccadmin.apps.ContactCenterAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    # Sign-in throttling (django-axes): failed sign-ins lock a username out.
    "axes",
    "ccadmin",
    "partitions",
    "services",
    "contacts",
    "interactions",
    # The administration API v1 (/api/v1/): Django REST framework, its OpenAPI 3
    # schema (drf-spectacular) and the docs page's assets served from here (sidecar).
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header of every response (SECURE_CSP below).
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Serves the admin's static files from the application itself, so every machine
    # behind a load balancer is the same and needs no separate web server for them.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The user's time zone (their contact center's; a superuser's choice, else UTC)
    # for every time shown in the request: after the user is known.
    "ccadmin.zones.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ccadmin.urls"

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
                # The CSP nonce ({% csp_nonce_attr %}) of Django's admin templates.
                "django.template.context_processors.csp",
                # The zone times are shown in, labelled on every page's header.
                "ccadmin.zones.time_zone",
            ],
        },
    },
]

WSGI_APPLICATION = "ccadmin.wsgi.application"

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has no row locks: IMMEDIATE transactions take the write lock at BEGIN,
    # so two concurrent "add partition" transactions run one after the other and the
    # limit check cannot be passed twice (partitions/actions.py).
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
else:
    # Persistent connections: a new PostgreSQL connection per request cost 7x the
    # throughput of a one-query view in our measurement (docs/design.md,
    # "Persistent database connections").
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background tasks (Django's tasks framework) are stored in the database and run by
# `python manage.py db_worker`: no broker to run, nothing kept outside PostgreSQL.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# A client partition with more rows than this (contacts, companies, emails and
# activity entries together) is deleted by the worker, not in the web request:
# at the measured ~150,000 rows/s (bench/RESULTS.md) two million rows take about
# 13 s, the most an administrator should wait on a page.
CLIENT_PARTITION_BACKGROUND_DELETE_ROWS = env.int(
    "CLIENT_PARTITION_BACKGROUND_DELETE_ROWS", default=2_000_000
)
# Measured deletion speed, for the progress shown while a deletion runs.
CLIENT_PARTITION_DELETE_ROWS_PER_SECOND = env.int(
    "CLIENT_PARTITION_DELETE_ROWS_PER_SECOND", default=150_000
)
# When the worker runs retention every day (local time, "HH:MM"): a quiet hour, as
# the deletes compete with the day's calls and emails for the same tables.
RETENTION_DAILY_AT = env.str("RETENTION_DAILY_AT", default="03:00")

# Offboarding a client (partitions.offboarding): the days between the export and
# the purge, unless the administrator gives another number.
CLIENT_PARTITION_OFFBOARDING_GRACE_DAYS = env.int(
    "CLIENT_PARTITION_OFFBOARDING_GRACE_DAYS", default=30
)
# Where the export of each client being offboarded is kept for "download the export
# again" until the purge deletes it. On disk, not in the database: a large client's
# zip is gigabytes, which would bloat the database and its backups. Keep it on
# storage as protected as the database (it holds the same personal data).
CLIENT_PARTITION_EXPORT_DIR = env.path(
    "CLIENT_PARTITION_EXPORT_DIR", default=BASE_DIR / "var" / "offboarding-exports"
)

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out sign-in before any password is checked. It has no
    # get_user(), so the test client's force_login() uses the model backend below.
    "axes.backends.AxesStandaloneBackend",
    "ccadmin.auth.TenantModelBackend",
]

# Sign-in throttling (django-axes), on the agent login and the admin's alike: after
# SIGNIN_FAILURE_LIMIT failed sign-ins for one username from one address, that
# username is refused from that address for SIGNIN_LOCKOUT_MINUTES (each further
# try starts the wait again). The pair, not the username alone: an outsider must not
# be able to lock an agent out of the workstation floor by guessing at their name;
# not the address alone: a whole contact center often signs in from one address.
SIGNIN_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)
SIGNIN_LOCKOUT_MINUTES = env.int("SIGNIN_LOCKOUT_MINUTES", default=15)
if SIGNIN_FAILURE_LIMIT < 1 or SIGNIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured(
        "SIGNIN_FAILURE_LIMIT and SIGNIN_LOCKOUT_MINUTES must be 1 or more."
    )
AXES_FAILURE_LIMIT = SIGNIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=SIGNIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# An over-long username is counted (and locked out) like any other (ccadmin/auth.py).
AXES_USERNAME_CALLABLE = "ccadmin.auth.throttled_username"
# A successful sign-in forgets the pair's earlier failures.
AXES_RESET_ON_SUCCESS = True
# The lockout page: the same words whether or not the username exists (ccadmin/auth.py).
AXES_LOCKOUT_CALLABLE = "ccadmin.auth.locked_out"
# No start-up banner: it would break "-v 0 prints nothing but errors" of the commands.
AXES_VERBOSE = False

# Per-process cache by default: what is cached is keyed by a version that changes with
# the data (see partitions/selectors.py), so processes never serve stale lists and need
# no shared cache. CACHE_URL (e.g. redis://127.0.0.1:6379/1) may point at a shared one.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Sessions live in the database. With a shared cache (CACHE_URL=redis://...), set
# SESSION_ENGINE=django.contrib.sessions.backends.cached_db to read them from it:
# one query less per signed-in request (bench/RESULTS.md). Never with a per-process
# cache: a session ended in one process would live on in the others.
SESSION_ENGINE = env.str(
    "SESSION_ENGINE", default="django.contrib.sessions.backends.db"
)
# Contact-center workstations are shared between shifts: a session lasts one shift
# (8 hours) at most and ends when the browser is closed.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool(
    "SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True
)
# Messages live in the session, never in a cookie of their own: a new gateway key is
# shown in one, and Django's default cookie storage would hand it to the browser's
# cookie store and to anything that logs cookies (signed, not encrypted).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# While developing, whitenoise finds files where they are (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files with far-future cache headers in production;
        # plain files while developing (no collectstatic needed).
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Agents sign in to the agent desktop; administrators use the admin's own login.
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/agent/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Uploads (CSV imports, .eml files) are capped so one request cannot exhaust memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10_485_760)

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
        "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False
    )
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

# Only when a load balancer terminates TLS and sets X-Forwarded-Proto (and strips any
# the client sent) may the header be believed; otherwise a client could claim HTTPS.
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The address sign-in throttling counts failures by (django-ipware). Behind the load
# balancer every request comes from the balancer itself, so the client's address is
# the one the balancer appended to X-Forwarded-For, the right-most (anything left of
# it was sent by the client and may be forged). Without a proxy the header is ignored.
AXES_IPWARE_PROXY_ORDER = "right-most"
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if BEHIND_TLS_PROXY else ("REMOTE_ADDR",)
)

# Content-Security-Policy (Django's own middleware): scripts and styles only from this
# server, never inline scripts; inline <style> elements only with the response's
# nonce (Django's admin marks its few with {% csp_nonce_attr %}); no plugins, no
# framing, forms post only here.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Every record is written once, by the root's console handler. Django's default
# config also gives the "django" logger a console handler of its own (when DEBUG is
# on): with the root's, each of its records (a 401's "Unauthorized", the
# autoreloader's "Watching for file changes") was printed twice. Emptied here, so
# they only propagate to the root. runserver's request lines ("django.server") keep
# their own handler and do not propagate.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# How far in the future an incoming interaction's time may be (seconds): a gateway's
# clock a little ahead is normal; an email dated next year, or 9999, is refused.
INTERACTION_MAX_FUTURE_SECONDS = env.int("INTERACTION_MAX_FUTURE_SECONDS", default=300)

# Largest file (CSV or .xlsx) "Import contacts" in the admin accepts, in bytes (20 MiB,
# about 200,000 contacts). Larger files: `manage.py import_contacts`, which has no cap.
CONTACT_IMPORT_MAX_UPLOAD_SIZE = env.int(
    "CONTACT_IMPORT_MAX_UPLOAD_SIZE", default=20 * 1024 * 1024
)

# Most bytes an .xlsx workbook (a zip of XML parts) may unpack to, checked before it is
# read (a decompression bomb of a few MB can declare gigabytes: each step would spend
# minutes inflating it). Real workbooks compress 5 to 20 times: 1 GiB is 50 times the
# admin's upload limit, and room for the command's largest honest lists.
CONTACT_IMPORT_MAX_UNPACKED_SIZE = env.int(
    "CONTACT_IMPORT_MAX_UNPACKED_SIZE", default=1024 * 1024 * 1024
)

# Where the admin's "Import contacts" keeps an uploaded file between its steps (map the
# columns, preview, confirm): on disk, not in the session (contacts/import_uploads.py
# says why). It holds customer lists: protect it like CLIENT_PARTITION_EXPORT_DIR.
# Each file is deleted after its import, or after CONTACT_IMPORT_UPLOAD_MAX_AGE
# seconds (a day) by the next upload.
CONTACT_IMPORT_UPLOAD_DIR = env.path(
    "CONTACT_IMPORT_UPLOAD_DIR", default=BASE_DIR / "var" / "import-uploads"
)
CONTACT_IMPORT_UPLOAD_MAX_AGE = env.int(
    "CONTACT_IMPORT_UPLOAD_MAX_AGE", default=24 * 60 * 60
)

# Attachments of incoming email (issue 17): every attachment is listed (name, type,
# size) on the email; its content is kept in the email's raw source only while
# EMAIL_STORE_ATTACHMENTS is on and it is at most EMAIL_ATTACHMENT_MAX_BYTES (default
# 25 MiB). Content not kept is emptied from the stored source, which says so.
EMAIL_STORE_ATTACHMENTS = env.bool("EMAIL_STORE_ATTACHMENTS", default=True)
EMAIL_ATTACHMENT_MAX_BYTES = env.int(
    "EMAIL_ATTACHMENT_MAX_BYTES", default=25 * 1024 * 1024
)

# The administration API v1 (api/): personal API tokens (Authorization: Bearer), the
# user's model permissions as the admin checks them, cursor pagination, RFC 9457
# problem details for every error, JSON only (no browsable API: /api/v1/docs/ is the
# human page). See docs/design.md, "The administration API".
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ModelPermissions"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.CheckedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_SCHEMA_CLASS": "api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.problem_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Contact Center Administrator API",
    "DESCRIPTION": (
        "Client partitions (BPO clients), services, contacts and their records, "
        "and the audit trail of one contact center, as its administrators see "
        "them in the admin. Authenticate with `Authorization: Bearer <key>` "
        "(`manage.py api_token create --user U`). Errors are RFC 9457 problem "
        "details (application/problem+json)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page's JavaScript and CSS from this server (machines have no
    # internet, and the CSP allows scripts from 'self' only).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_interactions_alias",
    ],
}
