import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_create_user_lowercases_email_and_hashes_password():
    user = User.objects.create_user(email="  Ada@Example.COM ", password="s3cret-pass")

    assert user.email == "ada@example.com"
    assert user.password != "s3cret-pass"
    assert user.check_password("s3cret-pass")
    assert (user.name, user.timezone) == ("", "UTC")
    assert user.is_active and not user.is_staff and not user.is_superuser


def test_create_user_requires_email():
    with pytest.raises(ValueError):
        User.objects.create_user(email="", password="x")


def test_create_superuser_sets_flags():
    admin = User.objects.create_superuser(email="admin@example.com", password="x")

    assert admin.is_staff and admin.is_superuser


def test_email_is_unique_case_insensitively():
    User.objects.create_user(email="ada@example.com", password="x")

    with pytest.raises(IntegrityError):
        User.objects.create_user(email="ADA@example.com", password="x")


def test_get_by_natural_key_ignores_case():
    user = User.objects.create_user(email="ada@example.com", password="x")

    assert User.objects.get_by_natural_key("ADA@Example.com") == user


def test_timezone_must_be_an_iana_name():
    user = User(email="a@example.com", timezone="Nowhere/Special")

    with pytest.raises(ValidationError) as excinfo:
        user.full_clean(exclude=["password"])
    assert "timezone" in excinfo.value.message_dict


def test_createsuperuser_runs_non_interactively_from_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Root@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-admin-password")

    call_command("createsuperuser", interactive=False, verbosity=0)

    admin = User.objects.get()
    assert admin.email == "root@example.com"
    assert admin.is_superuser and admin.check_password("a-long-admin-password")
