"""
The hand-written session query (accounts.sessions.find_session) answers what
the ORM's select_related() query answers, and the hand-off of its user to the
authentication backend lasts one call.
"""

import datetime as dt

import pytest
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from accounts import sessions
from accounts.models import Session, key_hash
from testing.helpers import token_for
from todos.ledger import SyncState

pytestmark = pytest.mark.django_db


def fields_of(instance):
    if instance is None:
        return None
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
    }


def orm_answer(hashed, now):
    session = (
        Session.objects.select_related("user__syncstate")
        .filter(key_hash=hashed, expire_date__gt=now)
        .first()
    )
    if session is None:
        return None
    user = session.user
    state = getattr(user, "syncstate", None) if user is not None else None
    return fields_of(session), fields_of(user), fields_of(state)


def hand_written_answer(hashed, now):
    session = sessions.find_session(hashed, now)
    if session is None:
        return None
    user = session.user
    # Known absent without a query, as select_related() leaves it.
    state = getattr(user, "syncstate", None) if user is not None else None
    return fields_of(session), fields_of(user), fields_of(state)


@pytest.mark.parametrize("has_written", [False, True])
def test_find_session_matches_the_orm_for_a_live_session(
    user, auth_client, has_written, django_assert_num_queries
):
    if has_written:  # the user then has a sync state to bring along
        auth_client.post("/api/v1/todos", {"title": "x"})
    else:  # as for an account made before sync states were
        SyncState.objects.filter(user=user).delete()
    hashed = key_hash(token_for(user))
    now = timezone.now()

    with django_assert_num_queries(1):
        found = hand_written_answer(hashed, now)

    assert found is not None
    assert found == orm_answer(hashed, now)
    assert (found[2] is not None) == has_written


def test_find_session_matches_the_orm_for_an_expired_session(user):
    hashed = key_hash(token_for(user))
    Session.objects.filter(key_hash=hashed).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )

    now = timezone.now()
    assert hand_written_answer(hashed, now) is None
    assert orm_answer(hashed, now) is None


def test_find_session_matches_the_orm_for_a_revoked_session(user):
    hashed = key_hash(token_for(user))
    Session.objects.filter(key_hash=hashed).delete()

    now = timezone.now()
    assert hand_written_answer(hashed, now) is None
    assert orm_answer(hashed, now) is None


def test_the_session_user_hand_off_lasts_one_call(user):
    session = sessions.SessionStore(token_for(user))

    assert sessions.signed_in_user(session) == user
    assert session.loaded_user == user
    # Nothing is left behind for a later, unrelated get_user() call.
    assert sessions._resolving.get() is None


def test_requests_leave_no_hand_off_behind(auth_client):
    assert auth_client.get("/api/v1/auth/me").status_code == 200

    assert sessions._resolving.get() is None


SESSION_DATA = [
    {},
    {"_auth_user_id": "7", "_auth_user_backend": "x.Y", "_auth_user_hash": "ab"},
    {"nested": {"list": [1, 2, {"é": "ü"}]}, "n": 3.5, "none": None},
]


@pytest.mark.parametrize("data", SESSION_DATA)
def test_a_session_decodes_as_djangos_store_decodes_it(data):
    signed = sessions.SessionStore().encode(data)

    for _ in range(2):  # verified, then remembered
        decoded = sessions.SessionStore().decode(signed)
        assert decoded == DatabaseSessionStore().decode(signed) == data
    decoded.setdefault("nested", {})["changed"] = True
    assert sessions.SessionStore().decode(signed) == data  # a copy of its own


def test_a_session_signed_with_another_key_decodes_to_nothing(settings):
    signed = sessions.SessionStore().encode({"_auth_user_id": "7"})
    assert sessions.SessionStore().decode(signed) == {"_auth_user_id": "7"}
    signing_key = settings.SECRET_KEY

    settings.SECRET_KEY = "another key entirely, long enough to be a key"
    assert sessions.SessionStore().decode(signed) == {}
    assert sessions.SessionStore().decode(signed[:-1] + "x") == {}

    # A rotated key, kept among the fallbacks, still verifies its sessions.
    settings.SECRET_KEY_FALLBACKS = [signing_key]
    assert sessions.SessionStore().decode(signed) == {"_auth_user_id": "7"}
