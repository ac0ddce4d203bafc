"""Tests: PostgreSQL from TEST_DATABASE_URL, Redis from TEST_REDIS_URL; no wall clock, no network but loopback."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import DATABASES, env

SECRET_KEY = os.environ.get("SECRET_KEY") or "test-secret-key-not-for-production"
DEBUG = False
ALLOWED_HOSTS = ["*"]

TEST_DATABASE_URL = env("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/lending_test")
DATABASES["default"] = env.db_url_config(TEST_DATABASE_URL)
DATABASES["default"]["CONN_MAX_AGE"] = 0
# A worker process started by a test connects straight to the database pytest-django created.
DATABASES["default"]["TEST"] = {"NAME": DATABASES["default"]["NAME"]}

TEST_REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
CELERY_BROKER_URL = TEST_REDIS_URL
CELERY_RESULT_BACKEND = TEST_REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
BANK_CALLBACK_SECRET = "test-callback-secret"  # noqa: S105
MEDIA_ROOT = env.path("MEDIA_ROOT", default=os.path.join(tempfile.gettempdir(), "cashloan-test-media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = env.bool("AXES_ENABLED", default=False)
# live_server serves static files from the finders; whitenoise would only warn about a missing STATIC_ROOT.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
