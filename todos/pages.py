"""
The pages mailed links open when no front end of its own serves them
(ACCOUNT_LINK_BASE_URL unset): an invitation's, a reminder's todo. They say
what to do and nothing about the invitation or the todo: its id is in the
link, and ids can be guessed.
"""

from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache


@method_decorator(never_cache, name="dispatch")
class InvitationPage(View):
    def get(self, request, pk):
        return render(request, "todos/pages/invitation.html")


@method_decorator(never_cache, name="dispatch")
class TodoPage(View):
    def get(self, request, pk):
        return render(request, "todos/pages/todo.html")
