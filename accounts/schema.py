"""OpenAPI descriptions of the two session carriers.

Imported by AccountsConfig.ready(), which registers them with drf-spectacular.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerSessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.sessions.BearerSessionAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The `token` from sign-up or sign-in.",
        }


class CookieSessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.sessions.CookieSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The session cookie set by sign-up or sign-in. Unsafe "
            "methods "
            "also need the `csrftoken` cookie's value in an `X-CSRFToken` header.",
        }
