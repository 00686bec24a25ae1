"""
WSGI entry point: `python -m todoapp.serve` (Granian) or gunicorn serve
`todoapp.wsgi:application`.
"""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todoapp.settings")

application = get_wsgi_application()

# Import every view now, in one thread: a worker's threads racing to import
# modules on their first requests can deadlock on a circular import.
get_resolver().check()
