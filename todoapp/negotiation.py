from rest_framework.negotiation import DefaultContentNegotiation


class JSONOnlyNegotiation(DefaultContentNegotiation):
    """
    The API speaks JSON only, so it answers JSON whatever `Accept` says
    (RFC 9110 lets a server ignore Accept) instead of a 406 for clients that
    ask for `application/problem+json` or `*/*;q=0`.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
