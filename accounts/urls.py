from django.urls import path

from accounts import views

urlpatterns = [
    path("auth/signup", views.SignupView.as_view(), name="auth-signup"),
    path("auth/signin", views.SigninView.as_view(), name="auth-signin"),
    path("auth/signout", views.SignoutView.as_view(), name="auth-signout"),
    path("auth/me", views.MeView.as_view(), name="auth-me"),
]
