"""Settings, all from environment variables (see docs/deployment.md).

SQLite is the embedded default; set DATABASE_URL=postgres://... for PostgreSQL.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("YIWANG_DEBUG", False)
# From the environment, else from var/secret.key (written by `make migrate`), else a development
# key that the system check `yiwang.E001` refuses outside DEBUG for `check --deploy`.
DEVELOPMENT_SECRET_KEY = "yiwang-development-only-secret-key-change-me-0123456789"
SECRET_KEY_FILE = Path(os.environ.get("YIWANG_SECRET_KEY_FILE", BASE_DIR / "var" / "secret.key"))
SECRET_KEY = os.environ.get("YIWANG_SECRET_KEY") or (
    SECRET_KEY_FILE.read_text().strip() if SECRET_KEY_FILE.exists() else DEVELOPMENT_SECRET_KEY
)
# Key for personal fields (ID numbers, phones), kept outside the database so a copied
# database file reveals nothing. 32 bytes, base64. Development falls back to one derived from SECRET_KEY.
FIELD_ENCRYPTION_KEY = os.environ.get("YIWANG_FIELD_KEY", "")
FIELD_KEY_FILE = Path(os.environ.get("YIWANG_FIELD_KEY_FILE", BASE_DIR / "var" / "field.key"))
if not FIELD_ENCRYPTION_KEY and FIELD_KEY_FILE.exists():
    FIELD_ENCRYPTION_KEY = FIELD_KEY_FILE.read_text().strip()
ALLOWED_HOSTS = [h for h in os.environ.get("YIWANG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("YIWANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    # Third-party apps through yiwang.core.vendor_apps, for their Chinese names in the admin.
    "yiwang.core.vendor_apps.TaskResultsConfig",
    # Login lockout per (username, client address) (attempts kept in the database, so every app server
    # sees them) and TOTP.
    "yiwang.core.vendor_apps.LoginLockoutConfig",
    "django_otp",
    "yiwang.core.vendor_apps.TOTPConfig",
    "yiwang.core.vendor_apps.RecoveryCodesConfig",
    "yiwang.core",
    "yiwang.accounts",
    "yiwang.regions",
    "yiwang.registry",
    "yiwang.party",
    "yiwang.forces",
    "yiwang.worktime",
    "yiwang.matters",
    "yiwang.cases",
    "yiwang.points",
    "yiwang.notify",
    "yiwang.open311",
    "yiwang.duties",
    "yiwang.links",
    "yiwang.ab_roles",
    "yiwang.activities",
    "yiwang.gridwork",
    "yiwang.campaigns",
    "yiwang.wishes",
    "yiwang.volunteers",
    "yiwang.pointsbank",
    "yiwang.deliberation",
    "yiwang.votes",
    "yiwang.alliance",
    "yiwang.assessment",
    "yiwang.command",
    "yiwang.analysis",
    "yiwang.reviews",
    "yiwang.exports",
    "yiwang.web",
    "yiwang.imports",
    "yiwang.simulator",
    "yiwang.search",
    "yiwang.advisor",
    "yiwang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Sends SECURE_CSP (below) on every response.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Serves collected static files (including the npm assets) without a CDN or a separate web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL character in any parameter is refused, naming it (PostgreSQL cannot store one).
    "yiwang.core.middleware.RejectNulCharactersMiddleware",
    # A form sent by the offline queue's script learns where its redirect goes (web/static/web/offline.js).
    "yiwang.web.middleware.ScriptSubmitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "yiwang.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session limits, required second factor, forced password change.
    "yiwang.accounts.middleware.AccountSecurityMiddleware",
    # The command screen, analysis and reports read from the replica when one is set (yiwang/core/dbrouting.py);
    # after the session and the user are loaded from the primary, and a user who just wrote stays on the primary.
    "yiwang.core.dbrouting.ReplicaReadsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lockout into the login page's answer (AXES_LOCKOUT_CALLABLE).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yiwang.urls"
WSGI_APPLICATION = "yiwang.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# The lockout check first (it refuses a locked username before any password is tried), then the password.
AUTHENTICATION_BACKENDS = ["yiwang.accounts.backends.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

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
            ],
        },
    },
]

SQLITE_PATH = Path(os.environ.get("YIWANG_SQLITE_PATH", BASE_DIR / "var" / "yiwang.sqlite3"))
# YIWANG_DATABASE_POOLER=pgbouncer: DATABASE_URL points at PgBouncer in transaction mode (docs/deployment.md).
YIWANG_DATABASE_POOLER = os.environ.get("YIWANG_DATABASE_POOLER", "").strip().lower()
BEHIND_PGBOUNCER = YIWANG_DATABASE_POOLER == "pgbouncer"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"),
        conn_max_age=int(os.environ.get("YIWANG_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so a
    # read-then-write transaction cannot deadlock on lock upgrade; the timeout queues writers.
    # A 64 MB page cache per connection (the default is 2 MB) keeps the rollup rows the screen
    # reads in memory between requests; connections live CONN_MAX_AGE seconds.
    # Writers queue on a file lock beside the database, woken in turn (yiwang/core/queued_sqlite3/base.py).
    DATABASES["default"]["ENGINE"] = "yiwang.core.queued_sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;",
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    # Tests use a file, not Django's shared in-memory database: the browser tests' live server
    # answers parallel requests on several threads, and each needs its own connection.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("YIWANG_TEST_SQLITE_PATH", f"/tmp/yiwang-test-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No parallel query: starting workers takes milliseconds, several times what the screen's reads
    # (small index ranges of the rollups) take, yet the planner chose them for those reads.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # Only the hand-written reads of yiwang/core/sql.py are prepared (below), and their plans do not depend
    # on the values bound (a day's deadlines, the boards chosen): one plan serves every execution.
    # Behind PgBouncer these go on the role instead (ALTER ROLE … SET, docs/deployment.md): it refuses `options`.
    if not BEHIND_PGBOUNCER:
        options["options"] = f"{options.get('options', '')} -c max_parallel_workers_per_gather=0 -c plan_cache_mode=force_generic_plan".strip()
    # Django turns prepared statements off (for poolers in transaction mode); the rollup reads prepare
    # theirs (yiwang/core/sql.py `fetch`) unless YIWANG_PG_PREPARE=0, for PgBouncer without max_prepared_statements
    # (behind PgBouncer they are off unless YIWANG_PG_PREPARE=1 says it keeps them, 1.21+ with max_prepared_statements).
    options.setdefault("prepare_threshold", 5 if env_bool("YIWANG_PG_PREPARE", not BEHIND_PGBOUNCER) else None)
    if BEHIND_PGBOUNCER:
        # A transaction pooler hands each transaction any server connection: a cursor held across
        # transactions (QuerySet.iterator() outside atomic) would be lost, so Django fetches in chunks instead.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    if os.environ.get("YIWANG_TEST_SHARD"):
        # `make test` runs the PostgreSQL suite in shards side by side (tests/conftest.py): one test database each.
        shard = os.environ["YIWANG_TEST_SHARD"].replace("/", "of")
        DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{shard}"}

# A streaming replica for the heavy reads (yiwang/core/dbrouting.py, docs/deployment.md "City deployment"):
# YIWANG_DATABASE_REPLICA_URL adds the alias `replica`; the command screen, analysis and reports read from it
# unless the user wrote within YIWANG_REPLICA_STICKY_SECONDS or it lags more than YIWANG_REPLICA_MAX_LAG_SECONDS.
# The test suite's replica (YIWANG_TEST_REPLICA_URL, a streaming replica of the test server) only adds the
# alias: tests marked `replica` turn the routing on themselves, every other test reads the primary.
_replica_url = os.environ.get("YIWANG_DATABASE_REPLICA_URL", "").strip()
_test_replica_url = "" if _replica_url else os.environ.get("YIWANG_TEST_REPLICA_URL", "").strip()
if (_replica_url or _test_replica_url) and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["replica"] = {
        **dj_database_url.parse(_replica_url or _test_replica_url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"], conn_health_checks=True),
        # Same session settings as the primary; a replica that does not answer is given up on quickly.
        "OPTIONS": {**DATABASES["default"]["OPTIONS"], "connect_timeout": int(os.environ.get("YIWANG_REPLICA_CONNECT_TIMEOUT", "2"))},
        "DISABLE_SERVER_SIDE_CURSORS": DATABASES["default"].get("DISABLE_SERVER_SIDE_CURSORS", False),
        # Tests: the replica already holds the test database once the primary creates it.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["yiwang.core.dbrouting.ReplicaRouter"]
YIWANG_REPLICA_READS = bool(_replica_url) and env_bool("YIWANG_REPLICA_READS", True)
YIWANG_REPLICA_STICKY_SECONDS = float(os.environ.get("YIWANG_REPLICA_STICKY_SECONDS", "5"))
YIWANG_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("YIWANG_REPLICA_MAX_LAG_SECONDS", "10"))
# How long one lag check is believed (per process); a replica found down is tried again after the longer time.
YIWANG_REPLICA_CHECK_SECONDS = float(os.environ.get("YIWANG_REPLICA_CHECK_SECONDS", "2"))
YIWANG_REPLICA_DOWN_RETRY_SECONDS = float(os.environ.get("YIWANG_REPLICA_DOWN_RETRY_SECONDS", "10"))

# Django's cache. Nothing another app server must see is kept in it (tests/test_shared_state.py fails on a
# module that uses it): the rate limits count in core.Throttle (yiwang/core/throttle.py), sessions, lockouts and
# the task queue are tables. So this process's memory by default; YIWANG_CACHE_URL=db:// (a table, made by
# `migrate`, or by `yiwang createcachetable` when switched on later) or redis://host:6379/0 (needs the `redis`
# package) gives a cache every server shares, for whatever comes to need one.
_cache_url = os.environ.get("YIWANG_CACHE_URL", "").strip()
if _cache_url.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}}
elif _cache_url in ("db://", "database://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "yiwang_cache"}}
elif _cache_url in ("", "locmem://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ValueError(f"YIWANG_CACHE_URL={_cache_url!r}: use db://, redis:// or locmem://")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # 等保 asks for complex passwords: three of lower case, upper case, digits and symbols.
    {"NAME": "yiwang.accounts.validators.CharacterClassValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "yiwang" / "locale"]
TIME_ZONE = os.environ.get("YIWANG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("YIWANG_STATIC_ROOT", BASE_DIR / "var" / "static"))
# npm assets are copied here by `make assets` (scripts/copy_assets.py); never committed.
STATICFILES_DIRS = [BASE_DIR / "var" / "vendor"]
for _folder in (STATIC_ROOT, *STATICFILES_DIRS):
    _folder.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests and the development server find static files without collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("YIWANG_MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"

# Imports refuse files larger than this (bytes).
IMPORT_MAX_BYTES = int(os.environ.get("YIWANG_IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))
# Uploads previewed on the import page but never started are deleted after this many hours.
YIWANG_IMPORT_PREVIEW_HOURS = int(os.environ.get("YIWANG_IMPORT_PREVIEW_HOURS", "24"))
# Failed logins (django-axes, see docs/security.md): this many for one username from one client address
# lock that username for that address only, for the window; the lock lifts by itself after it, or earlier
# when a scoped admin unlocks the name (which clears its failures from every address). An attacker who
# knows a name locks only their own address out of it: the owner, from another address, still logs in
# with the right password. Failures from one address for other names, or for names that do not exist,
# cost no real account anything. Spraying passwords over many addresses is left to the proxy's
# per-address rate limits and to the second factor.
LOGIN_FAILURE_LIMIT = int(os.environ.get("YIWANG_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("YIWANG_LOGIN_FAILURE_WINDOW", "900"))
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_FAILURE_WINDOW_SECONDS)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# An attacker retrying during the lock does not prolong it: the owner gets back in after the window.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The address in that pair is the one the login log shows (yiwang.accounts.addresses): the peer, or, when
# the peer is a proxy named in YIWANG_TRUSTED_PROXIES, the first untrusted address of X-Forwarded-For read
# from the right, so a client cannot choose its own. Behind a proxy that is not listed every client has the
# proxy's address, and the lock is in effect per username again.
AXES_CLIENT_IP_CALLABLE = "yiwang.accounts.addresses.client_address"
AXES_LOCKOUT_CALLABLE = "yiwang.accounts.views.lockout_response"
# Logins are recorded in accounts.LoginEvent (with their retention), not in axes' own logs.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
# Addresses (or networks, comma-separated) of reverse proxies whose X-Forwarded-For is believed.
# Empty: the connecting address is the client's.
YIWANG_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("YIWANG_TRUSTED_PROXIES", "").split(",") if p.strip()]
# Login events (successes, failures, locks, second-factor steps) are kept this many days (等保 level 3: 180).
YIWANG_LOGIN_LOG_DAYS = int(os.environ.get("YIWANG_LOGIN_LOG_DAYS", "180"))
# Roles that must pass a TOTP second factor after the password; "admin" means superusers. Empty turns it off.
YIWANG_2FA_ROLES = tuple(r.strip() for r in os.environ.get("YIWANG_2FA_ROLES", "district,street,admin").split(",") if r.strip())
OTP_TOTP_ISSUER = os.environ.get("YIWANG_2FA_ISSUER", "一网")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Sessions: staff are logged out after this many idle minutes and at the latest this many hours after
# logging in; residents keep theirs this many days.
YIWANG_SESSION_IDLE_MINUTES = int(os.environ.get("YIWANG_SESSION_IDLE_MINUTES", "30"))
YIWANG_SESSION_MAX_HOURS = int(os.environ.get("YIWANG_SESSION_MAX_HOURS", "12"))
YIWANG_RESIDENT_SESSION_DAYS = int(os.environ.get("YIWANG_RESIDENT_SESSION_DAYS", "14"))
SESSION_COOKIE_AGE = YIWANG_RESIDENT_SESSION_DAYS * 86400

# The closed loop (see docs/case-lifecycle.md).
# Office hours for limits in working hours, in TIME_ZONE; "3d" is three times their length.
YIWANG_OFFICE_HOURS = os.environ.get("YIWANG_OFFICE_HOURS", "09:00-12:00,14:00-18:00")
YIWANG_PHOTO_MAX_BYTES = int(os.environ.get("YIWANG_PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
# Uploaded photos are re-encoded (EXIF and GPS dropped): long side capped, thumbnail for lists (px).
YIWANG_PHOTO_MAX_SIDE = int(os.environ.get("YIWANG_PHOTO_MAX_SIDE", "2048"))
YIWANG_PHOTO_THUMB_SIDE = int(os.environ.get("YIWANG_PHOTO_THUMB_SIDE", "320"))
# Publication (cases/moderation.py): decimals of published coordinates (3 ≈ 100 m), and the matter
# categories that concern households and are never published.
YIWANG_PUBLIC_COORD_DECIMALS = int(os.environ.get("YIWANG_PUBLIC_COORD_DECIMALS", "3"))
YIWANG_PRIVATE_MATTER_CATEGORIES = ("矛盾纠纷", "民生关爱")
# Anonymous snap-and-report: at most this many reports per address per hour.
YIWANG_RESIDENT_REPORTS_PER_HOUR = int(os.environ.get("YIWANG_RESIDENT_REPORTS_PER_HOUR", "10"))
# Duplicate suggestions: open cases of the same matter within this radius (m) and window (hours).
YIWANG_DUPLICATE_RADIUS_M = float(os.environ.get("YIWANG_DUPLICATE_RADIUS_M", "100"))
YIWANG_DUPLICATE_WINDOW_HOURS = float(os.environ.get("YIWANG_DUPLICATE_WINDOW_HOURS", "72"))
# Signed IoT alerts older or newer than this (seconds) are refused, so a captured request cannot be replayed later.
YIWANG_WEBHOOK_MAX_SKEW = int(os.environ.get("YIWANG_WEBHOOK_MAX_SKEW", "300"))
# Repeats of one alert type from one device within this many minutes join its open case.
YIWANG_DEVICE_ALERT_WINDOW_MINUTES = int(os.environ.get("YIWANG_DEVICE_ALERT_WINDOW_MINUTES", "30"))
# Public registration for community activities: at most this many per client address per hour.
YIWANG_ACTIVITY_REGISTRATIONS_PER_HOUR = int(os.environ.get("YIWANG_ACTIVITY_REGISTRATIONS_PER_HOUR", "20"))
# The background sweep for overdue cases, reminders and automatic escalation runs this often (seconds).
YIWANG_SWEEP_SECONDS = int(os.environ.get("YIWANG_SWEEP_SECONDS", "60"))
# How often the worker folds what writers appended (the case rollups' deltas) into the tables read.
YIWANG_FOLD_SECONDS = float(os.environ.get("YIWANG_FOLD_SECONDS", "1"))
# Exported files (yiwang.exports) are kept this many days after they are written, then deleted by the worker.
YIWANG_EXPORT_KEEP_DAYS = int(os.environ.get("YIWANG_EXPORT_KEEP_DAYS", "7"))
# The grid re-division advisor (yiwang/advisor): households a grid and a micro-grid should hold, how
# each kind of work weighs in a building's workload, and how many days of cases count.
YIWANG_ADVISOR_GRID_HOUSEHOLDS = (300, 500)
YIWANG_ADVISOR_MICRO_GRID_HOUSEHOLDS = (30, 80)
YIWANG_ADVISOR_WEIGHTS = {"cases": 1.0, "care": 3.0, "places": 2.0}
YIWANG_ADVISOR_CASE_DAYS = 365
# Seconds the advisor's page may spend solving one community (the command takes --seconds).
YIWANG_ADVISOR_PAGE_SECONDS = float(os.environ.get("YIWANG_ADVISOR_PAGE_SECONDS", "10"))

# Content-Security-Policy (Django's own middleware; see docs/security.md). Every script is a static
# file: no inline script, no event-handler attribute, no eval. Map tile hosts, when a deployment adds
# a tile layer, go in YIWANG_CSP_IMG_HOSTS (comma-separated, e.g. https://tiles.example.gov.cn).
YIWANG_CSP_IMG_HOSTS = [h.strip() for h in os.environ.get("YIWANG_CSP_IMG_HOSTS", "").split(",") if h.strip()]

# The maps' base layer (yiwang/regions/basemap.py, docs/deployment.md): an XYZ template or a WMTS
# endpoint on an intranet tile server; empty draws the base from our own data. Its host is the
# only outside origin the pages may load images from.
YIWANG_TILE_URL = os.environ.get("YIWANG_TILE_URL", "").strip()
YIWANG_TILE_KIND = os.environ.get("YIWANG_TILE_KIND", "xyz").strip().lower()
YIWANG_TILE_CRS = os.environ.get("YIWANG_TILE_CRS", "wgs84").strip().lower()
YIWANG_TILE_ATTRIBUTION = os.environ.get("YIWANG_TILE_ATTRIBUTION", "")
YIWANG_TILE_MAX_ZOOM = int(os.environ.get("YIWANG_TILE_MAX_ZOOM", "18"))
YIWANG_TILE_SUBDOMAINS = os.environ.get("YIWANG_TILE_SUBDOMAINS", "")
# How the tiles cut the world: "mercator" (Web Mercator, XYZ and GoogleMapsCompatible, 天地图 *_w) or
# "geographic" (longitude/latitude, EPSG:4490/4326, 天地图 *_c; its level 1 is two tiles, so a zoom offset of 1).
YIWANG_TILE_GRID = os.environ.get("YIWANG_TILE_GRID", "mercator").strip().lower()
YIWANG_TILE_ZOOM_OFFSET = int(os.environ.get("YIWANG_TILE_ZOOM_OFFSET", "0"))
YIWANG_WMTS_LAYER = os.environ.get("YIWANG_WMTS_LAYER", "")
YIWANG_WMTS_MATRIX_SET = os.environ.get("YIWANG_WMTS_MATRIX_SET", "")
YIWANG_WMTS_FORMAT = os.environ.get("YIWANG_WMTS_FORMAT", "image/png")
YIWANG_WMTS_STYLE = os.environ.get("YIWANG_WMTS_STYLE", "default")


def tile_image_sources(tile_url: str) -> list[str]:
    """The CSP source for a tile URL template: its scheme and host (with port); a `{s}` subdomain
    label becomes `*`, so https://t{s}.tiles.example/... allows https://*.tiles.example only."""
    from urllib.parse import urlsplit

    parts = urlsplit(tile_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return []
    labels = parts.netloc.rsplit("@", 1)[-1].split(".")
    host = ".".join("*" if "{" in label else label for label in labels)
    return [f"{parts.scheme}://{host}"]


SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:", *tile_image_sources(YIWANG_TILE_URL), *YIWANG_CSP_IMG_HOSTS],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    # pdf.js parses the weekly report in a worker loaded from our static files.
    "worker-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
if os.environ.get("YIWANG_CSP_REPORT_URI"):
    SECURE_CSP["report-uri"] = [os.environ["YIWANG_CSP_REPORT_URI"]]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

SESSION_COOKIE_HTTPONLY = True
# YIWANG_HTTPS=1 behind a TLS-terminating proxy: secure cookies, redirect to https, HSTS, and the proxy's
# X-Forwarded-Proto believed (the proxy must set it and strip the client's). Off for the demo on plain http.
YIWANG_HTTPS = env_bool("YIWANG_HTTPS", False)
SESSION_COOKIE_SECURE = YIWANG_HTTPS or env_bool("YIWANG_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if YIWANG_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("YIWANG_HSTS_SECONDS", str(365 * 86400)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("YIWANG_HSTS_SUBDOMAINS", False)
    # The health check is probed over plain http by load balancers.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("YIWANG_LOG_LEVEL", "WARNING")},
}

# The weekly dispatch report's PDF font. Empty: the project's own Noto Sans SC (OFL-1.1), which
# scripts/copy_assets.py copies from npm into var/fonts. Set it to use another CJK font file; a .ttc
# collection takes YIWANG_REPORT_FONT_INDEX (2 is Simplified Chinese in Debian's NotoSansCJK-Regular.ttc).
YIWANG_REPORT_FONT = os.environ.get("YIWANG_REPORT_FONT", "")
YIWANG_REPORT_FONT_INDEX = int(os.environ.get("YIWANG_REPORT_FONT_INDEX", "2"))

# Need to know (yiwang.registry.access): a department keeps seeing the persons a case names for this
# many days after the case closes; a person access grant runs at most this many days.
REGISTRY_CASE_ACCESS_DAYS = int(os.environ.get("YIWANG_REGISTRY_CASE_ACCESS_DAYS", "30"))
REGISTRY_GRANT_MAX_DAYS = int(os.environ.get("YIWANG_REGISTRY_GRANT_MAX_DAYS", "90"))
