"""Django's messages (the admin's notices), with storage only where used."""

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.utils.functional import SimpleLazyObject, empty


class LazyMessageMiddleware(MessageMiddleware):
    """
    Django's MessageMiddleware, making the request's message storage when a
    view or template first uses it instead of on every request: Django's
    builds a FallbackStorage (a cookie and a session storage) for each, ~45
    Python calls of the 2,200 of a GET todo (`python -m bench.calls --only
    detail`), and the API never shows a message. A storage never made has
    nothing to save: Django's update() saves only one that was read or added
    to (api/tests/test_messages.py).
    """

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)
