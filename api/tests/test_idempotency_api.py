"""Idempotency-Key on POST todos and POST todos/bulk."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from api.models import IdempotencyKey
from testing.helpers import assert_problem
from todos.models import Todo

pytestmark = pytest.mark.django_db


def create(client, body, key, **headers):
    return client.post(
        "/api/v1/todos", body, format="json", HTTP_IDEMPOTENCY_KEY=key, **headers
    )


def test_retry_with_the_same_key_replays_the_first_answer(auth_client):
    first = create(auth_client, {"title": "once"}, "key-1")
    retry = create(auth_client, {"title": "once"}, "key-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Location"] == first["Location"]
    assert retry["ETag"] == first["ETag"]
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Todo.objects.count() == 1


def test_replay_is_the_stored_answer_even_after_the_todo_changed(auth_client):
    first = create(auth_client, {"title": "once"}, "key-1")
    auth_client.patch(first["Location"], {"title": "changed since"})

    retry = create(auth_client, {"title": "once"}, "key-1")

    assert retry.json()["title"] == "once"
    assert Todo.objects.count() == 1


def test_same_body_in_another_json_layout_is_the_same_request(auth_client):
    create(auth_client, {"title": "t", "priority": "high"}, "k")
    retry = auth_client.post(
        "/api/v1/todos",
        '{ "priority" : "high",\n "title": "t" }',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert retry.status_code == 201
    assert Todo.objects.count() == 1


def test_same_key_with_a_different_body_is_422(auth_client):
    create(auth_client, {"title": "first"}, "key-1")

    response = create(auth_client, {"title": "second"}, "key-1")

    assert_problem(response, 422)
    assert Todo.objects.count() == 1


def test_keys_are_scoped_to_the_user(auth_client, other_client):
    mine = create(auth_client, {"title": "same"}, "shared-key")
    theirs = create(other_client, {"title": "same"}, "shared-key")

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert "Idempotent-Replayed" not in theirs


def test_without_a_key_every_post_creates(auth_client):
    auth_client.post("/api/v1/todos", {"title": "x"})
    auth_client.post("/api/v1/todos", {"title": "x"})

    assert Todo.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_malformed_key_is_400_naming_the_header(auth_client, key):
    response = create(auth_client, {"title": "x"}, key)

    assert_problem(response, 400, field="Idempotency-Key")
    assert not Todo.objects.exists()


def test_keys_of_1_and_255_printable_characters_are_accepted(auth_client):
    assert create(auth_client, {"title": "a"}, "x").status_code == 201
    assert create(auth_client, {"title": "b"}, "~ !" * 85).status_code == 201


def test_a_rejected_request_does_not_use_up_its_key(auth_client):
    assert_problem(create(auth_client, {"title": ""}, "k"), 400, field="title")

    assert create(auth_client, {"title": "fixed"}, "k").status_code == 201


def test_an_expired_key_is_processed_afresh(auth_client):
    create(auth_client, {"title": "x"}, "k")
    IdempotencyKey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    again = create(auth_client, {"title": "x"}, "k")

    assert "Idempotent-Replayed" not in again
    assert Todo.objects.count() == 2


def test_keys_are_kept_for_the_idempotency_ttl(auth_client, settings):
    settings.IDEMPOTENCY_TTL = 3600
    create(auth_client, {"title": "x"}, "k")

    key = IdempotencyKey.objects.get()
    assert (
        dt.timedelta(minutes=59)
        < key.expires_at - timezone.now()
        <= dt.timedelta(hours=1)
    )


def test_bulk_retry_with_the_same_key_applies_once(auth_client):
    body = {"operations": [{"op": "create", "data": {"title": "x"}}] * 3}

    first = auth_client.post(
        "/api/v1/todos/bulk", body, format="json", HTTP_IDEMPOTENCY_KEY="b"
    )
    retry = auth_client.post(
        "/api/v1/todos/bulk", body, format="json", HTTP_IDEMPOTENCY_KEY="b"
    )

    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Todo.objects.count() == 3


def test_same_key_on_another_endpoint_is_a_different_request(auth_client):
    create(auth_client, {"operations": []}, "k")  # a 400 on POST todos
    create(auth_client, {"title": "t"}, "k2")
    response = auth_client.post(
        "/api/v1/todos/bulk", {"title": "t"}, format="json", HTTP_IDEMPOTENCY_KEY="k2"
    )

    assert_problem(response, 422)


def test_prune_deletes_expired_keys(auth_client):
    create(auth_client, {"title": "x"}, "old")
    create(auth_client, {"title": "y"}, "new")
    IdempotencyKey.objects.filter(key="old").update(expires_at=timezone.now())

    out = StringIO()
    call_command("prune", stdout=out)

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert "1 idempotency keys" in out.getvalue()
