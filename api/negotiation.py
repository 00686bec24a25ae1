from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class FallbackNegotiation(DefaultContentNegotiation):
    """
    Honour `Accept` where a view offers a choice (the schema: YAML or JSON),
    and otherwise answer in the view's first format instead of a 406: RFC 9110
    lets a server ignore Accept, and a client asking for
    `application/problem+json` wants the JSON the API speaks.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
