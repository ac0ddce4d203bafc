import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Fail at boot, not on the first request, when the environment lacks a secret key.
from django.conf import settings  # noqa: E402

_ = settings.SECRET_KEY
