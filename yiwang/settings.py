"""Settings, all from environment variables (see docs/deployment.md).

SQLite is the embedded default; set DATABASE_URL=postgres://... for PostgreSQL.
"""

import os
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
    "django_tasks_db",
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
    "yiwang.web",
    "yiwang.imports",
    "yiwang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files (including the npm assets) without a CDN or a separate web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "yiwang.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "yiwang.urls"
WSGI_APPLICATION = "yiwang.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["yiwang.accounts.backends.ThrottledModelBackend"]
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
    options["options"] = f"{options.get('options', '')} -c max_parallel_workers_per_gather=0 -c plan_cache_mode=force_generic_plan".strip()
    # Django turns prepared statements off (for poolers in transaction mode); the rollup reads prepare
    # theirs (yiwang/core/sql.py `fetch`) unless YIWANG_PG_PREPARE=0, for PgBouncer without max_prepared_statements.
    options.setdefault("prepare_threshold", 5 if env_bool("YIWANG_PG_PREPARE", True) else None)
    if os.environ.get("YIWANG_TEST_SHARD"):
        # `make test` runs the PostgreSQL suite in shards side by side (tests/conftest.py): one test database each.
        shard = os.environ["YIWANG_TEST_SHARD"].replace("/", "of")
        DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{shard}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
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
# Failed logins: this many for one username within the window locks it for the window.
LOGIN_FAILURE_LIMIT = int(os.environ.get("YIWANG_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("YIWANG_LOGIN_FAILURE_WINDOW", "900"))

# The closed loop (see docs/case-lifecycle.md).
# Office hours for limits in working hours, in TIME_ZONE; "3d" is three times their length.
YIWANG_OFFICE_HOURS = os.environ.get("YIWANG_OFFICE_HOURS", "09:00-12:00,14:00-18:00")
YIWANG_PHOTO_MAX_BYTES = int(os.environ.get("YIWANG_PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
# Anonymous snap-and-report: at most this many reports per address per hour.
YIWANG_RESIDENT_REPORTS_PER_HOUR = int(os.environ.get("YIWANG_RESIDENT_REPORTS_PER_HOUR", "10"))
# Duplicate suggestions: open cases of the same matter within this radius (m) and window (hours).
YIWANG_DUPLICATE_RADIUS_M = float(os.environ.get("YIWANG_DUPLICATE_RADIUS_M", "100"))
YIWANG_DUPLICATE_WINDOW_HOURS = float(os.environ.get("YIWANG_DUPLICATE_WINDOW_HOURS", "72"))
# Signed IoT alerts older or newer than this (seconds) are refused, so a captured request cannot be replayed later.
YIWANG_WEBHOOK_MAX_SKEW = int(os.environ.get("YIWANG_WEBHOOK_MAX_SKEW", "300"))
# Public registration for community activities: at most this many per client address per hour.
YIWANG_ACTIVITY_REGISTRATIONS_PER_HOUR = int(os.environ.get("YIWANG_ACTIVITY_REGISTRATIONS_PER_HOUR", "20"))
# The background sweep for overdue cases, reminders and automatic escalation runs this often (seconds).
YIWANG_SWEEP_SECONDS = int(os.environ.get("YIWANG_SWEEP_SECONDS", "60"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("YIWANG_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("YIWANG_LOG_LEVEL", "WARNING")},
}

# The weekly dispatch report's PDF font (a CJK font; Debian: fonts-noto-cjk). Index 2 of the Noto
# collection is Simplified Chinese.
YIWANG_REPORT_FONT = os.environ.get("YIWANG_REPORT_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
YIWANG_REPORT_FONT_INDEX = int(os.environ.get("YIWANG_REPORT_FONT_INDEX", "2"))
