"""WSGI entry point of the contact center administrator (for gunicorn and the like)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccadmin.settings")

application = get_wsgi_application()
