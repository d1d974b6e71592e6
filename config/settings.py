"""Settings for Postmortems.

Every knob is an environment variable with a safe development default (the README lists them
all). Production is simply ``DJANGO_DEBUG=false``: then a secret key is required and the
security settings tighten.
"""

import datetime
import re
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent

# Development by default, as in healthchecks: `make run` needs no configuration at all.
DEBUG = envbool("DJANGO_DEBUG", True)

SECRET_KEY = envstr("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "accounts",
    "postmortems",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "django_filters",
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Each request gets a bounded time for formatting Markdown that is not memoised yet.
    "postmortems.markdown.RenderBudgetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sign-in required everywhere; views opt out with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: whether htmx sent the request (a fragment answers it, not a page).
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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

WSGI_APPLICATION = "config.wsgi.application"

# Database: SQLite file unless DATABASE_URL says otherwise (postgres://user:pass@host:5432/db).
_default_db_url = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    _db = dj_database_url.parse(
        envstr("DATABASE_URL", "") or _default_db_url,
        conn_max_age=envint("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
except ValueError as exc:
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL Django understands ({exc}). "
        "Use postgres://USER:PASSWORD@HOST:5432/NAME or sqlite:///PATH."
    ) from exc
if _db["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast when the server is unreachable, well below gunicorn's worker timeout.
    _db.setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", envint("DATABASE_CONNECT_TIMEOUT", 5)
    )
    # The visibility rule's subqueries make the planner's cost estimates large, which trips
    # PostgreSQL's JIT: it then spends 300–450 ms compiling a list query that runs in 150 ms.
    # Short page queries never profit from JIT. (A ?options=… in DATABASE_URL wins.)
    _db["OPTIONS"].setdefault("options", "-c jit=off")
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["CONN_HEALTH_CHECKS"] = False
    _db.setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
elif _db["ENGINE"] not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL or SQLite.")
DATABASES = {"default": _db}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins for an account or address with too many recent failures.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Proxies in front of the app that append the client's address to X-Forwarded-For (1 behind
# the README's TLS proxy). 0: the direct peer (REMOTE_ADDR) is the client. Addresses further
# left in the header than this count are the client's own claims and never trusted.
TRUSTED_PROXY_COUNT = envint("DJANGO_TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(
        f"DJANGO_TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}."
    )

# Sign-in throttling (django-axes): 5 wrong passwords for one account from one address lock
# that account at that address for 15 minutes, so nobody can lock everyone else out; a
# success resets the count. Passwords asked again (signing, changing the password) count
# too (accounts/passwords.py). The address comes from accounts/addresses.py.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "accounts.addresses.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Password-reset requests: at most this many an hour from one address (beyond, the form asks
# to try later), and reset emails to one email address (beyond, nothing is sent, silently).
PASSWORD_RESET_REQUESTS_PER_HOUR = envint("PASSWORD_RESET_REQUESTS_PER_HOUR", 5)
PASSWORD_RESET_EMAILS_PER_HOUR = envint("PASSWORD_RESET_EMAILS_PER_HOUR", 3)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "postmortems:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# Postmortem times are UTC, stored and shown, as the template writes them.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: printed to the console unless an SMTP host is configured.
EMAIL_BACKEND = envstr(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if envstr("EMAIL_HOST", "")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Postmortems <postmortems@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: strict in production, comfortable on a laptop.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Content-Security-Policy (django-csp): only our own scripts and styles, no inline code, no
# framing. Bootstrap's icons are data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("DJANGO_SECURE_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Sign-ins, failed sign-ins and access denials (accounts/audit.py).
        "audit": {"level": "INFO"},
        # django-axes says "deleted 0 failed attempts" at INFO on every sign-in; the audit
        # logger has the sign-ins, axes keeps its warnings (new failures, lockouts).
        "axes": {"level": "WARNING"},
    },
}

# Product settings.
# Where people reach the app, for links in emails.
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Days from Final to the scheduled review of the action items (the template's "30 days").
POSTMORTEM_REVIEW_AFTER_DAYS = envint("POSTMORTEM_REVIEW_AFTER_DAYS", 30)
# The organisation the blameless reminder names ("…make our organisation more reliable").
POSTMORTEM_ORGANISATION = " ".join(envstr("POSTMORTEM_ORGANISATION", "").split()) or (
    "our organisation"
)
# Prefix of generated document keys: INC-2026-0042.
POSTMORTEM_KEY_PREFIX = envstr("POSTMORTEM_KEY_PREFIX", "INC")
# Restricted documents draw their keys from a sequence of their own: SEC-2026-0001.
POSTMORTEM_RESTRICTED_KEY_PREFIX = envstr("POSTMORTEM_RESTRICTED_KEY_PREFIX", "SEC")
for _name, _prefix in (
    ("POSTMORTEM_KEY_PREFIX", POSTMORTEM_KEY_PREFIX),
    ("POSTMORTEM_RESTRICTED_KEY_PREFIX", POSTMORTEM_RESTRICTED_KEY_PREFIX),
):
    if not re.fullmatch(r"[A-Z][A-Z0-9]{0,15}", _prefix):
        raise ImproperlyConfigured(
            f"{_name} must be capital letters and digits, starting with a letter (like INC), "
            f"not {_prefix!r}."
        )
if POSTMORTEM_KEY_PREFIX == POSTMORTEM_RESTRICTED_KEY_PREFIX:
    raise ImproperlyConfigured(
        "POSTMORTEM_RESTRICTED_KEY_PREFIX must differ from POSTMORTEM_KEY_PREFIX: restricted "
        "documents draw keys from a sequence of their own."
    )

# Attachments (README "Attachments"), kept through Django's storage API: a folder by default,
# never served as it is (only the attachment view hands a file out, to who may read its
# document); DJANGO_MEDIA_STORAGE=s3 keeps them in a private S3-compatible bucket through
# django-storages (pip install '.[s3]'; credentials from AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, or the machine's role, as boto3 finds them).
MEDIA_ROOT = Path(envstr("DJANGO_MEDIA_ROOT", "") or BASE_DIR / "media")
_media_storage = envstr("DJANGO_MEDIA_STORAGE", "filesystem").strip().lower()
if _media_storage == "s3":
    if not envstr("AWS_STORAGE_BUCKET_NAME", ""):
        raise ImproperlyConfigured(
            "DJANGO_MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME (and AWS_S3_ENDPOINT_URL "
            "for a store that is not Amazon's)."
        )
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": envstr("AWS_STORAGE_BUCKET_NAME", ""),
            "endpoint_url": envstr("AWS_S3_ENDPOINT_URL", "") or None,
            "region_name": envstr("AWS_S3_REGION_NAME", "") or None,
            "location": envstr("AWS_LOCATION", "postmortems"),
            # No ACL on the objects: the bucket stays private, and no link to it is ever given.
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif _media_storage != "filesystem":
    raise ImproperlyConfigured(
        f"DJANGO_MEDIA_STORAGE must be filesystem or s3, not {_media_storage!r}."
    )
# One file at most (an image is checked, then re-encoded), and per document.
POSTMORTEM_ATTACHMENT_MAX_BYTES = envint("POSTMORTEM_ATTACHMENT_MAX_MB", 10) * 1024 * 1024
POSTMORTEM_ATTACHMENTS_PER_DOCUMENT = envint("POSTMORTEM_ATTACHMENTS_PER_DOCUMENT", 30)
POSTMORTEM_ATTACHMENTS_TOTAL_BYTES = envint("POSTMORTEM_ATTACHMENTS_TOTAL_MB", 100) * 1024 * 1024
# The files that one "Download all (.zip)" copies, at most; the rest are listed in the zip.
POSTMORTEM_ZIP_ATTACHMENTS_BYTES = envint("POSTMORTEM_ZIP_ATTACHMENTS_MB", 200) * 1024 * 1024
for _name, _value in (
    ("POSTMORTEM_ATTACHMENT_MAX_MB", POSTMORTEM_ATTACHMENT_MAX_BYTES),
    ("POSTMORTEM_ATTACHMENTS_PER_DOCUMENT", POSTMORTEM_ATTACHMENTS_PER_DOCUMENT),
    ("POSTMORTEM_ATTACHMENTS_TOTAL_MB", POSTMORTEM_ATTACHMENTS_TOTAL_BYTES),
    ("POSTMORTEM_ZIP_ATTACHMENTS_MB", POSTMORTEM_ZIP_ATTACHMENTS_BYTES),
):
    if _value < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more.")
