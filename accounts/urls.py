from django.urls import path

from accounts import views

urlpatterns = [
    path("auth/signup", views.SignupView.as_view(), name="auth-signup"),
    path("auth/signin", views.SigninView.as_view(), name="auth-signin"),
    path(
        "auth/signin/2fa",
        views.SigninSecondFactorView.as_view(),
        name="auth-signin-2fa",
    ),
    path("auth/2fa", views.TwoFactorView.as_view(), name="auth-2fa"),
    path("auth/2fa/setup", views.TwoFactorSetupView.as_view(), name="auth-2fa-setup"),
    path(
        "auth/2fa/enable", views.TwoFactorEnableView.as_view(), name="auth-2fa-enable"
    ),
    path(
        "auth/2fa/disable",
        views.TwoFactorDisableView.as_view(),
        name="auth-2fa-disable",
    ),
    path(
        "auth/2fa/recovery-codes",
        views.RecoveryCodesView.as_view(),
        name="auth-2fa-recovery-codes",
    ),
    path("auth/signout", views.SignoutView.as_view(), name="auth-signout"),
    path("auth/signout-all", views.SignoutAllView.as_view(), name="auth-signout-all"),
    path("auth/me", views.MeView.as_view(), name="auth-me"),
    path("auth/password", views.PasswordView.as_view(), name="auth-password"),
    path(
        "auth/password/reset",
        views.PasswordResetView.as_view(),
        name="auth-password-reset",
    ),
    path(
        "auth/password/reset/confirm",
        views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path(
        "auth/email/verify", views.EmailVerifyView.as_view(), name="auth-email-verify"
    ),
    path(
        "auth/email/change", views.EmailChangeView.as_view(), name="auth-email-change"
    ),
    path(
        "auth/email/change/confirm",
        views.EmailChangeConfirmView.as_view(),
        name="auth-email-change-confirm",
    ),
    path(
        "auth/email/verification",
        views.EmailVerificationView.as_view(),
        name="auth-email-verification",
    ),
    path("auth/sessions", views.SessionListView.as_view(), name="auth-sessions"),
    path("auth/tokens", views.ApiTokenListView.as_view(), name="auth-tokens"),
    path(
        "auth/tokens/<int:pk>",
        views.ApiTokenDetailView.as_view(),
        name="auth-token-detail",
    ),
    path(
        "auth/sessions/<int:pk>",
        views.SessionDetailView.as_view(),
        name="auth-session-detail",
    ),
]
