from django.urls import path

from bench.views import CeilingView
from todoapp.urls import handler400, handler403, handler404, handler500  # noqa: F401
from todoapp.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("bench/ceiling", CeilingView.as_view()), *project_urlpatterns]
