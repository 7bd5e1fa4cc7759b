import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
application = get_wsgi_application()

# Load the URLconf (every app's views and the API) now: `yiwang serve` runs gunicorn with
# --preload, so the workers fork with it loaded instead of each importing it on its first request
# (seconds of CPU per worker, all at once, on a small machine). No connection may cross the fork.
from django.db import connections  # noqa: E402
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
connections.close_all()
