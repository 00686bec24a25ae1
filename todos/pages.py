"""
The page an invitation's mailed link opens when no front end of its own
serves it (ACCOUNT_LINK_BASE_URL unset). It says how to answer and nothing
about the invitation: its id is in the link, and ids can be guessed.
"""

from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache


@method_decorator(never_cache, name="dispatch")
class InvitationPage(View):
    def get(self, request, pk):
        return render(request, "todos/pages/invitation.html")
