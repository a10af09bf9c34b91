"""Settings for the Autonomy Assessor, read from the environment.

Everything a deployment changes comes from an environment variable; the defaults are for a
developer's machine (SQLite file, debug off unless asked for). See docs/operator-guide.md
("Running in production") for the list.
"""

import ipaddress
import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from assessor.teams.roles import ROLE_NAMES  # plain data, no models: safe before apps load

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=False)

# The fallback key exists so that `make run` works on a fresh clone. It is public, so it is
# refused whenever DEBUG is off (the test settings bring their own key).
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value, "
            "or set DJANGO_DEBUG=1 on a development machine."
        )
    SECRET_KEY = DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "assessor.apps.AssessorAdminConfig",  # Django's admin, with the assessor's site class
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "simple_history",
    "axes",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",  # django-bootstrap-static: Bootstrap's CSS and JS as static files
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc as static files: no CDN
    "django_q",  # the task queue (django-q2): reminders, digests, webhooks
    "assessor",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
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

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        # A kept connection is checked before its first use in each request, so a database
        # restart costs no failed request once the server is back (Django reconnects).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two people submitting at once: each transaction takes SQLite's write lock when it begins
    # (a read that later writes cannot deadlock with another), and waits up to 20 s for it,
    # instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-in while locked out
    "assessor.teams.auth.OneQueryModelBackend",
]
# Sessions live in the database, which every gunicorn worker and every host shares: signing
# out deletes the row, so a replayed cookie is signed out everywhere at once. (cached_db with
# the default per-process cache let other workers keep serving a signed-out session.)
SESSION_ENGINE = "django.contrib.sessions.backends.db"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
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
# Serve straight from the app directories when nobody ran collectstatic (make run, the tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

# Paper size of PDF reports: A4 (default) or LETTER.
ASSESSOR_PDF_PAGE_SIZE = os.environ.get("ASSESSOR_PDF_PAGE_SIZE", "A4")
if ASSESSOR_PDF_PAGE_SIZE.upper() not in {"A4", "LETTER"}:
    raise ImproperlyConfigured("ASSESSOR_PDF_PAGE_SIZE must be A4 or LETTER")
# An approved assessment is due for review this many days after its approval (PDF page 1).
ASSESSOR_REVIEW_INTERVAL_DAYS = env_int("ASSESSOR_REVIEW_INTERVAL_DAYS", 365)
if ASSESSOR_REVIEW_INTERVAL_DAYS < 1:
    raise ImproperlyConfigured("ASSESSOR_REVIEW_INTERVAL_DAYS must be 1 or more")
# The review cycle (assessor/oversight): an approval is "due" this many days before its
# review-by date, "overdue" after it, and "lapsed" (no longer a current verdict) once this
# grace period after the date has passed too.
ASSESSOR_REVIEW_DUE_WINDOW_DAYS = env_int("ASSESSOR_REVIEW_DUE_WINDOW_DAYS", 30)
ASSESSOR_REVIEW_GRACE_DAYS = env_int("ASSESSOR_REVIEW_GRACE_DAYS", 30)
if ASSESSOR_REVIEW_DUE_WINDOW_DAYS < 0 or ASSESSOR_REVIEW_GRACE_DAYS < 0:
    raise ImproperlyConfigured(
        "ASSESSOR_REVIEW_DUE_WINDOW_DAYS and ASSESSOR_REVIEW_GRACE_DAYS must be 0 or more"
    )

# File evidence (assessor/evidence): the "evidence" storage. By default a private directory on
# the local disk, outside MEDIA_ROOT and STATIC_ROOT: nothing serves it, downloads go through
# the app's team checks. With a bucket set, S3-compatible object storage (django-storages), so
# several app hosts share the files; never public URLs (the app proxies every download).
ASSESSOR_EVIDENCE_MAX_BYTES = env_int("ASSESSOR_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
if ASSESSOR_EVIDENCE_MAX_BYTES < 1:
    raise ImproperlyConfigured("ASSESSOR_EVIDENCE_MAX_BYTES must be 1 or more")
EVIDENCE_ROOT = Path(os.environ.get("ASSESSOR_EVIDENCE_ROOT", BASE_DIR / "private" / "evidence"))
if os.environ.get("ASSESSOR_EVIDENCE_S3_BUCKET"):
    STORAGES["evidence"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["ASSESSOR_EVIDENCE_S3_BUCKET"],
            "endpoint_url": os.environ.get("ASSESSOR_EVIDENCE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("ASSESSOR_EVIDENCE_S3_REGION") or None,
            # no keys: boto3's own chain (instance role, AWS_* variables, config files)
            "access_key": os.environ.get("ASSESSOR_EVIDENCE_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("ASSESSOR_EVIDENCE_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("ASSESSOR_EVIDENCE_S3_PREFIX", "evidence"),
            "default_acl": None,  # the bucket's own (private) policy
            "querystring_auth": True,  # a URL, were one ever built, is signed and short-lived
            "file_overwrite": False,
        },
    }
else:
    STORAGES["evidence"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": EVIDENCE_ROOT, "base_url": None},
    }

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- security headers and cookies -------------------------------------------------------
# Secure by default whenever debug is off; each can be relaxed by its variable
# (docs/operator-guide.md).
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # the pages post the token from the form, never from the cookie
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=True)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
if env_bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts and styles only from this origin, so no
# inline script can run; no plug-ins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- REST API (assessor/api/) ----------------------------------------------------------------
# Personal access tokens only (Authorization: Bearer ...); the schema and docs pages also take
# the signed-in session. Rate limits count per token in a database row (api/throttling.py);
# the "shared" cache is a database table every gunicorn worker and every host sees (the
# default cache is per process).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "assessor_shared_cache",
    },
}
ASSESSOR_API_RATE = os.environ.get("ASSESSOR_API_RATE", "600/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["assessor.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["assessor.api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["assessor.api.parsers.SafeJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # the database unavailable: a JSON 503, not the site's HTML page
    "EXCEPTION_HANDLER": "assessor.web.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Autonomy Assessor API",
    "DESCRIPTION": (
        "Assessments, answers, results, the review workflow and exports, with the same team "
        "and role rules as the web pages. Send a personal access token (created at "
        "/accounts/tokens/) as `Authorization: Bearer <token>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # An agent's status and a record's status are both "status": name the agent's apart.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "assessor.models.Assessment.Status",
        "AgentStatusEnum": "assessor.register.models.AgentStatus",
        # a grant's verdict: only the two levels that issue one
        "GrantVerdictEnum": ["supervised", "owner"],
        "VerdictEnum": "assessor.models.VERDICT_CHOICES",
    },
}

# --- sign-in protection (django-axes) ----------------------------------------------------
# Five failures lock the account name and the client address for 30 minutes. The address is
# the TCP peer, or behind ASSESSOR_TRUSTED_PROXIES proxies the one the outermost of them saw:
# a forged X-Forwarded-For entry added by the client can neither reset nor dodge the count.
AXES_FAILURE_LIMIT = env_int("ASSESSOR_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ASSESSOR_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "assessor.teams.auth.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Failures are counted in the database, shared by every worker (never in a per-process cache).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
ASSESSOR_TRUSTED_PROXIES = env_int("ASSESSOR_TRUSTED_PROXIES", 0)

# --- single sign-on (OpenID Connect, mozilla-django-oidc; docs/operator-guide.md) -----------
# Off unless an issuer and a client id are set: then the sign-in page offers the provider and
# its backend joins the list. Endpoints not given are read from the issuer's discovery document
# at the first sign-in (never at start-up: local break-glass sign-in works with the provider down).
ASSESSOR_OIDC_ISSUER = os.environ.get("ASSESSOR_OIDC_ISSUER", "")  # exactly as tokens carry it
OIDC_RP_CLIENT_ID = os.environ.get("ASSESSOR_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("ASSESSOR_OIDC_CLIENT_SECRET", "")
ASSESSOR_OIDC_ENABLED = bool(ASSESSOR_OIDC_ISSUER or OIDC_RP_CLIENT_ID)
if ASSESSOR_OIDC_ENABLED:
    needed = ("ASSESSOR_OIDC_ISSUER", "ASSESSOR_OIDC_CLIENT_ID", "ASSESSOR_OIDC_CLIENT_SECRET")
    missing = [name for name in needed if not os.environ.get(name)]
    if missing:
        raise ImproperlyConfigured(f"Single sign-on needs {', '.join(missing)} as well")
    AUTHENTICATION_BACKENDS.append("assessor.teams.sso.SsoBackend")
ASSESSOR_OIDC_PROVIDER_NAME = os.environ.get("ASSESSOR_OIDC_PROVIDER_NAME", "single sign-on")
OIDC_RP_SCOPES = os.environ.get("ASSESSOR_OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = os.environ.get("ASSESSOR_OIDC_SIGN_ALGO", "RS256")
if OIDC_RP_SIGN_ALGO not in {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}:
    raise ImproperlyConfigured(
        f"ASSESSOR_OIDC_SIGN_ALGO must be RS256, RS384, RS512, ES256, ES384 or ES512, "
        f"not {OIDC_RP_SIGN_ALGO!r} (the ID token is checked against the provider's JWKS)"
    )
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("ASSESSOR_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("ASSESSOR_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("ASSESSOR_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("ASSESSOR_OIDC_JWKS_ENDPOINT", "")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env_int("ASSESSOR_OIDC_TIMEOUT_SECONDS", 10)
ASSESSOR_OIDC_GROUPS_CLAIM = os.environ.get("ASSESSOR_OIDC_GROUPS_CLAIM", "groups")


def env_group_roles(name: str) -> dict[str, list[tuple[str, str]]]:
    """{"group": [["Team", "role"], ...]} from JSON; roles as `add_member --role` names them."""
    raw = os.environ.get(name, "")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ImproperlyConfigured(f'{name} must be a JSON object: {{"group": [["Team", "role"]]}}')
    mapping = {}
    for group, grants in data.items():
        if not isinstance(grants, list) or not all(
            isinstance(grant, list) and len(grant) == 2 and all(isinstance(x, str) for x in grant)
            for grant in grants
        ):
            raise ImproperlyConfigured(f"{name}: {group!r} must map to a list of [team, role]")
        for team, role in grants:
            if role not in ROLE_NAMES or not team.strip():
                raise ImproperlyConfigured(
                    f"{name}: {group!r} grants {role!r} in {team!r}; roles are "
                    f"{', '.join(ROLE_NAMES)} and the team needs a name"
                )
        mapping[group] = [(team.strip(), role) for team, role in grants]
    return mapping


# Which teams and roles each group claim grants (docs/operator-guide.md, "Single sign-on").
ASSESSOR_OIDC_GROUP_ROLES = env_group_roles("ASSESSOR_OIDC_GROUP_ROLES")

# Password reset mails a link; its pages exist only when a mail server is configured. Review
# emails (submitted, returned, approved) go through the same settings; under `make run`
# (DEBUG, no mail server named) they are printed on the console instead.
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 10)  # a hung server must not hold a request
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "assessor@localhost")
EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and not EMAIL_HOST
    else "django.core.mail.backends.smtp.EmailBackend"
)
# Links in emails: the address people open the app at (mail has no request to take it from).
ASSESSOR_BASE_URL = os.environ.get("ASSESSOR_BASE_URL", "http://127.0.0.1:8000")

# --- autonomy grants (assessor/grants/) ---------------------------------------------------------
# The issuer (iss) of every grant: the address people and runtimes reach the app at.
ASSESSOR_GRANT_ISSUER = os.environ.get("ASSESSOR_GRANT_ISSUER", "") or ASSESSOR_BASE_URL
# When set, the grant signing keys' private halves are stored encrypted with it (PKCS#8 with
# the best encryption `cryptography` offers). Set it before the first grant: keys made without
# it cannot be read with it, and the other way round.
ASSESSOR_GRANT_KEY_PASSWORD = os.environ.get("ASSESSOR_GRANT_KEY_PASSWORD", "")

# --- the task queue (django-q2, ORM broker: the database is the broker, no new server) -----
# Workers (`manage.py qcluster`) on any number of hosts share one database. A task that runs
# longer than TIMEOUT seconds is killed; one whose worker died is handed out again after RETRY
# seconds (so RETRY must exceed TIMEOUT); a failed task is retried up to MAX_ATTEMPTS times.
Q_CLUSTER = {
    "name": "assessor",
    "orm": "default",
    "workers": env_int("ASSESSOR_QUEUE_WORKERS", 2),
    "timeout": env_int("ASSESSOR_QUEUE_TIMEOUT_SECONDS", 90),
    "retry": env_int("ASSESSOR_QUEUE_RETRY_SECONDS", 120),
    "max_attempts": env_int("ASSESSOR_QUEUE_MAX_ATTEMPTS", 3),
    "ack_failures": True,  # a failed task leaves the queue (its deliveries keep their own retries)
    "save_limit": 500,
    "catch_up": False,  # after downtime, run a missed schedule once, not once per missed slot
    "poll": 1,
    "label": "Task queue",
}
if Q_CLUSTER["retry"] <= Q_CLUSTER["timeout"]:
    raise ImproperlyConfigured(
        "ASSESSOR_QUEUE_RETRY_SECONDS must be greater than ASSESSOR_QUEUE_TIMEOUT_SECONDS"
    )
# Deliveries (emails and webhook posts, assessor/notify/outbox.py): a worker's claim on a
# delivery lasts LEASE seconds (past that, another worker may send it); a failed attempt waits
# BACKOFF seconds, doubling each time (capped at six hours), up to MAX_ATTEMPTS.
ASSESSOR_DELIVERY_LEASE_SECONDS = env_int("ASSESSOR_DELIVERY_LEASE_SECONDS", 300)
ASSESSOR_DELIVERY_BACKOFF_SECONDS = env_int("ASSESSOR_DELIVERY_BACKOFF_SECONDS", 60)
ASSESSOR_DELIVERY_MAX_ATTEMPTS = env_int("ASSESSOR_DELIVERY_MAX_ATTEMPTS", 8)
# One delivery task sends for at most this long, well inside the queue's timeout.
ASSESSOR_DELIVERY_BUDGET_SECONDS = env_int("ASSESSOR_DELIVERY_BUDGET_SECONDS", 60)
if Q_CLUSTER["timeout"] <= ASSESSOR_DELIVERY_BUDGET_SECONDS:
    raise ImproperlyConfigured(
        "ASSESSOR_DELIVERY_BUDGET_SECONDS must be less than ASSESSOR_QUEUE_TIMEOUT_SECONDS"
    )
# Webhooks: a post waits this long for an answer; targets on loopback, private, link-local or
# other non-public addresses are refused unless listed here (host names or CIDR ranges).
ASSESSOR_WEBHOOK_TIMEOUT_SECONDS = env_int("ASSESSOR_WEBHOOK_TIMEOUT_SECONDS", 10)
ASSESSOR_WEBHOOK_ALLOWED_TARGETS = env_list("ASSESSOR_WEBHOOK_ALLOWED_TARGETS")
for _entry in ASSESSOR_WEBHOOK_ALLOWED_TARGETS:
    if "/" in _entry:
        try:
            ipaddress.ip_network(_entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"ASSESSOR_WEBHOOK_ALLOWED_TARGETS: {_entry!r} is not a CIDR range"
            ) from None

# Logs go to standard error (gunicorn's error log, the container's log). django.request is
# where an unhandled exception is reported, with its traceback: without this handler, a
# production 500 (debug off, no ADMINS to mail) would be recorded nowhere.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "plain",
        }
    },
    "loggers": {
        "assessor": {
            "handlers": ["console"],
            "level": os.environ.get("ASSESSOR_LOG_LEVEL", "INFO"),
        },
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
