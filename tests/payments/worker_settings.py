"""Settings of the Celery worker the payments tests start: the test settings, a thread pool, recording handlers.

The thread pool lets one worker keep many channel calls in flight (they mostly wait on the network);
`tests.payments.apps` registers settlement handlers that count deliveries in Redis.
"""

import importlib
import os
import sys

_base = importlib.import_module(os.environ.get("PAYMENTS_TEST_BASE_SETTINGS", "config.settings.test"))
globals().update({name: value for name, value in vars(_base).items() if name.isupper()})

CELERY_WORKER_POOL = "threads"
# The threads mostly wait on the network and the database: hand the GIL over sooner after each wait.
sys.setswitchinterval(0.0005)
# As in production (base settings): a worker thread keeps its connection instead of opening one per task.
DATABASES = {"default": {**_base.DATABASES["default"], "CONN_MAX_AGE": 60}}
INSTALLED_APPS = [*_base.INSTALLED_APPS, "tests.payments.apps.RecordingHandlersConfig"]
