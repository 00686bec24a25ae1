"""WSGI entry point; gunicorn serves `todoapp.wsgi` (see gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todoapp.settings")

application = get_wsgi_application()
