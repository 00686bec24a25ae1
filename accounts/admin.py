from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from rest_framework.exceptions import Throttled
from rest_framework.exceptions import ValidationError as DRFValidationError

from accounts import two_factor
from accounts.mail import mail_password_reset, mail_user
from accounts.models import ApiToken, Session, User, UserManager
from accounts.throttles import AuthAddressThrottle, SigninLockout, authenticate_signin


class AdminSigninForm(AdminAuthenticationForm):
    """
    The admin's sign-in behind the API's limits: the same per-address
    throttle and per-email lockout (an admin password is the one most worth
    guessing, and each guess costs an Argon2 hash), and the same second
    factor when the account has two-factor sign-in on.
    """

    otp_code = forms.CharField(
        label="Two-factor code",
        required=False,
        max_length=32,
        strip=True,
        help_text="Only if your account has two-factor sign-in on: a code "
        "from the authenticator app, or a recovery code.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is None or not password:
            return self.cleaned_data
        throttle = AuthAddressThrottle()
        try:
            if not throttle.allow_request(self.request, None):
                raise Throttled(
                    throttle.wait(), "Too many sign-in attempts from this address."
                )
            self.user_cache = authenticate_signin(
                self.request, UserManager.normalize_email(email), password
            )
        except Throttled as exc:
            raise ValidationError(
                f"{exc.detail} Retry in {exc.wait:.0f} seconds.", code="throttled"
            ) from None
        if self.user_cache is None:
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        self._check_second_factor(email)
        return self.cleaned_data

    def _check_second_factor(self, email):
        if not two_factor.enabled(self.user_cache):
            return
        code = self.cleaned_data.get("otp_code")
        try:
            if not code:
                raise DRFValidationError("missing")
            two_factor.verify_second_factor(self.user_cache, code)
        except DRFValidationError:
            if code:  # a wrong code counts toward the lockout, as in the API
                SigninLockout(UserManager.normalize_email(email)).record_failure()
            raise ValidationError(
                "This account has two-factor sign-in on: enter a current "
                "code from the authenticator app, or a recovery code.",
                code="two_factor",
            ) from None


admin.site.login_form = AdminSigninForm
admin.site.login_template = "accounts/admin_login.html"


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin (password reset included), keyed by email."""

    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = (
        "email",
        "email_verified",
        "two_factor_on",
        "name",
        "timezone",
        "is_active",
        "is_staff",
        "created_at",
    )
    list_filter = ("email_verified", "is_active", "is_staff", "is_superuser")
    actions = [
        "send_verification_link",
        "send_password_reset_link",
        "turn_two_factor_off",
    ]
    search_fields = ("email", "name")
    readonly_fields = ("created_at", "updated_at", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("email_verified", "name", "timezone")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("two_factor")

    @admin.display(boolean=True, description="2FA")
    def two_factor_on(self, user):
        return two_factor.enabled(user)

    @admin.action(description="Turn two-factor sign-in off (a lost device)")
    def turn_two_factor_off(self, request, queryset):
        users = [user for user in queryset if two_factor.enabled(user)]
        for user in users:
            two_factor.disable(user)
            mail_user(request, "two_factor_disabled", user)
        self.message_user(request, f"Two-factor sign-in turned off for {len(users)}.")

    @admin.action(description="Mail a verification link")
    def send_verification_link(self, request, queryset):
        users = list(queryset.filter(email_verified=False, is_active=True))
        for user in users:
            mail_user(request, "verify_email", user)
        self.message_user(request, f"Verification links on their way to {len(users)}.")

    @admin.action(description="Mail a password reset link")
    def send_password_reset_link(self, request, queryset):
        users = list(queryset.filter(is_active=True))
        for user in users:
            mail_password_reset(request, user.email)
        self.message_user(request, f"Reset links on their way to {len(users)}.")


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    """Sign-in sessions: deleting one signs its device out."""

    list_display = (
        "id",
        "user",
        "created_at",
        "last_used_at",
        "expire_date",
        "ip",
        "user_agent",
    )
    list_select_related = ("user",)
    search_fields = ("user__email", "ip")
    fields = ("user", "created_at", "last_used_at", "expire_date", "ip", "user_agent")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Personal API tokens: deleting one revokes it. The token is never shown."""

    fields = ("user", "name", "scopes", "created_at", "last_used_at", "expires_at")
    list_display = fields
    list_select_related = ("user",)
    list_filter = ("expires_at",)
    search_fields = ("name", "user__email")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        # Tokens are issued by their owner (POST auth/tokens), shown once.
        return False

    def has_change_permission(self, request, obj=None):
        return False
