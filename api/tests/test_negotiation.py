"""
The remembered renderer choices (api.negotiation) are the ones DRF's
negotiation makes, whatever the Accept header, format and renderers.
"""

import pytest
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.negotiation import FallbackNegotiation

ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "application/problem+json",
    "application/json; indent=4",
    "application/*",
    "text/html",
    "text/html;q=0.9, application/json;q=0.1",
    "application/vnd.oai.openapi",
    "application/vnd.oai.openapi+json, */*;q=0.1",
    "not a media type",
]
RENDERERS = [
    [JSONRenderer],
    [JSONRenderer, BrowsableAPIRenderer],
    [OpenApiYamlRenderer, OpenApiJsonRenderer],
]


def request_with(accept, format):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    query = {} if format is None else {"format": format}
    return Request(APIRequestFactory().get("/x", query, **headers))


@pytest.mark.parametrize("format", [None, "json", "openapi"])
@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("classes", RENDERERS, ids=lambda classes: classes[0].__name__)
def test_a_remembered_choice_is_drfs(classes, accept, format):
    negotiation = FallbackNegotiation()
    FallbackNegotiation._choices.clear()
    renderers = [cls() for cls in classes]
    try:
        expected = negotiation.choose(request_with(accept, format), renderers)
    except Exception as error:  # an unknown format: DRF's 404, every time
        with pytest.raises(type(error)):
            negotiation.select_renderer(request_with(accept, format), renderers)
        return

    for _ in range(2):  # learnt, then remembered
        renderer, media_type = negotiation.select_renderer(
            request_with(accept, format), [cls() for cls in classes]
        )
        assert (type(renderer), media_type) == (type(expected[0]), expected[1])
    assert len(FallbackNegotiation._choices) == 1
