"""ASGI entry point, for servers that speak ASGI; production uses WSGI."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todoapp.settings")

application = get_asgi_application()
