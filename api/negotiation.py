from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation

# Choices remembered, at most; past it they are forgotten and learnt again.
CHOICES_KEPT = 256


class FallbackNegotiation(DefaultContentNegotiation):
    """
    Honour `Accept` where a view offers a choice (the schema: YAML or JSON),
    and otherwise answer in the view's first format instead of a 406: RFC 9110
    lets a server ignore Accept, and a client asking for
    `application/problem+json` wants the JSON the API speaks.

    The choice depends on nothing but the view's renderers, the format asked
    for and the Accept header, which clients repeat on every request; DRF
    parses and matches them anew each time (~60 Python calls a request,
    `python -m bench.calls`), so each choice is remembered.
    api/tests/test_negotiation.py holds the remembered choices to DRF's.
    """

    _choices = {}

    def select_renderer(self, request, renderers, format_suffix=None):
        key = (
            tuple(type(renderer) for renderer in renderers),
            format_suffix
            or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE),
            request.META.get("HTTP_ACCEPT", "*/*"),
        )
        choice = self._choices.get(key)
        if choice is None:
            renderer, media_type = self.choose(request, renderers, format_suffix)
            choice = (renderers.index(renderer), media_type)
            if len(self._choices) >= CHOICES_KEPT:
                self._choices.clear()
            self._choices[key] = choice
        index, media_type = choice
        return renderers[index], media_type

    def choose(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
