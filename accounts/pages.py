"""
The pages the mailed links open when no front end of its own serves them
(ACCOUNT_LINK_BASE_URL unset): verify an address, choose a new password.
Plain Django views and templates with CSRF-protected forms, readable on a
phone; they call the same flows as the API (accounts.flows).
"""

from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from rest_framework.exceptions import ValidationError

from accounts import flows


def _problems(exc):
    """The messages of a flow's 400, by field."""
    return {
        field: [str(message) for message in messages]
        for field, messages in exc.detail.items()
    }


@method_decorator(never_cache, name="dispatch")
class VerifyEmailPage(View):
    template_name = "accounts/pages/verify_email.html"

    def get(self, request):
        return render(
            request, self.template_name, {"token": request.GET.get("token", "")}
        )

    def post(self, request):
        try:
            user = flows.verify_email(request.POST.get("token", ""))
        except ValidationError as exc:
            context = {"errors": _problems(exc)}
            return render(request, self.template_name, context, status=400)
        return render(request, self.template_name, {"verified": user.email})


@method_decorator(never_cache, name="dispatch")
class ResetPasswordPage(View):
    template_name = "accounts/pages/reset_password.html"

    def get(self, request):
        return render(
            request, self.template_name, {"token": request.GET.get("token", "")}
        )

    def post(self, request):
        token = request.POST.get("token", "")
        password = request.POST.get("new_password", "")
        if password != request.POST.get("new_password_again", ""):
            errors = {"new_password": ["The two passwords differ."]}
            return render(
                request,
                self.template_name,
                {"token": token, "errors": errors},
                status=400,
            )
        try:
            user = flows.reset_password(request, token, password)
        except ValidationError as exc:
            context = {"token": token, "errors": _problems(exc)}
            return render(request, self.template_name, context, status=400)
        return render(request, self.template_name, {"done": user.email})


@method_decorator(never_cache, name="dispatch")
class ConfirmEmailPage(View):
    template_name = "accounts/pages/confirm_email.html"

    def get(self, request):
        token = request.GET.get("token", "")
        return render(request, self.template_name, {"token": token})

    def post(self, request):
        try:
            user = flows.confirm_email_change(request, request.POST.get("token", ""))
        except ValidationError as exc:
            context = {"errors": _problems(exc)}
            return render(request, self.template_name, context, status=400)
        return render(request, self.template_name, {"confirmed": user.email})
