"""Shared fixtures: clients, users and a todo factory. Tests go through HTTP."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from testing.helpers import PASSWORD, bearer_client
from todos.models import Todo


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Argon2 at production cost takes ~1 s per hash here; tests hash a lot.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def generous_auth_throttle(settings):
    # Throttle tests set their own low rate.
    settings.AUTH_THROTTLE_RATE = "10000/min"


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def make_user(db):
    def make(email="user@example.com", password=PASSWORD, **fields):
        return get_user_model().objects.create_user(
            email=email, password=password, **fields
        )

    return make


@pytest.fixture
def user(make_user):
    return make_user("user@example.com")


@pytest.fixture
def other_user(make_user):
    return make_user("other@example.com")


@pytest.fixture
def auth_client(user):
    return bearer_client(user)


@pytest.fixture
def other_client(other_user):
    return bearer_client(other_user)


@pytest.fixture
def make_todo(user):
    def make(owner=None, **fields):
        fields.setdefault("title", "A todo")
        return Todo.objects.create(owner=owner or user, **fields)

    return make
