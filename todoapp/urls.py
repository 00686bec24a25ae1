from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from accounts.pages import ConfirmEmailPage, ResetPasswordPage, VerifyEmailPage
from api.views import HealthView, RootView, SchemaView
from todos.pages import InvitationPage, TodoPage

# Resolved in order: the todos (the busiest paths) first, so that their
# requests are not matched against every account endpoint before their own.
api_v1 = [
    path("", include("todos.urls")),
    path("health", HealthView.as_view(), name="health"),
    path("", include("accounts.urls")),
]

urlpatterns = [
    path("", RootView.as_view(), name="root"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # Swagger UI with its start-up script as a file of its own (no inline
    # script); both docs bundles inject <style> elements, and Redoc runs its
    # search in a worker made from a blob.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="swagger-ui",
    ),
    path(
        "api/redoc/",
        csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})(
            SpectacularRedocView.as_view(url_name="schema")
        ),
        name="redoc",
    ),
    path("admin/", admin.site.urls),
    # Where the account mails' links lead unless ACCOUNT_LINK_BASE_URL says.
    path("verify-email", VerifyEmailPage.as_view(), name="verify-email"),
    path("reset-password", ResetPasswordPage.as_view(), name="reset-password"),
    path("confirm-email", ConfirmEmailPage.as_view(), name="confirm-email"),
    path("invitations/<int:pk>", InvitationPage.as_view(), name="invitation-page"),
    path("todos/<int:pk>", TodoPage.as_view(), name="todo-page"),
]

# Problem documents instead of HTML pages for /api/ paths.
handler400 = "api.exceptions.bad_request"
handler403 = "api.exceptions.permission_denied"
handler404 = "api.exceptions.page_not_found"
handler500 = "api.exceptions.server_error"
