"""
Content-Security-Policy: django-csp's policy (settings.CONTENT_SECURITY_POLICY)
on the pages a person opens (the admin, the docs, the root page), and one
fixed, closed policy on API answers, which are JSON that no browser should
ever render as a page. The fixed header costs API requests nothing to build.
"""

from csp.constants import HEADER
from csp.middleware import CSPMiddleware

API_PREFIX = "/api/v1/"
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


class PageCSPMiddleware(CSPMiddleware):
    def process_request(self, request):
        if not request.path_info.startswith(API_PREFIX):
            super().process_request(request)

    def process_response(self, request, response):
        if request.path_info.startswith(API_PREFIX):
            response.headers.setdefault(HEADER, API_POLICY)
            return response
        return super().process_response(request, response)
