from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import ApiToken


def _api_token(request):
    return request.auth if isinstance(request.auth, ApiToken) else None


class TokenScopes(BasePermission):
    """
    An API token reads with `todos:read` and writes with `todos:write`, or
    with the scope a view's `write_scope(request)` names.
    """

    def has_permission(self, request, view):
        token = _api_token(request)
        if token is None:
            return True
        if request.method in SAFE_METHODS:
            needed = ApiToken.Scope.READ
        else:
            # Sharing (members, invitations, transfer) asks for lists:share.
            scope_for = getattr(view, "write_scope", None)
            needed = scope_for(request) if scope_for else ApiToken.Scope.WRITE
        self.message = f"This API token lacks the {needed} scope."
        return needed in token.scopes


class SessionsOnly(BasePermission):
    """Managing tokens, sessions, the password or the account needs a session."""

    message = (
        "API tokens cannot manage tokens, sessions, the password or the account: "
        "use a signed-in session."
    )
    # Reading (e.g. GET auth/me) is allowed to tokens where a view says so.
    allow_reads = False

    def has_permission(self, request, view):
        if self.allow_reads and request.method in SAFE_METHODS:
            return True
        return _api_token(request) is None


class SessionsOnlyToChange(SessionsOnly):
    allow_reads = True
