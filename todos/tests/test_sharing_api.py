"""
Shared lists through the HTTP API: invitations (mailed by the worker's job
loop, read from Django's test outbox), members and their roles, losing
access, handing a list over, and API token scopes.
"""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import ApiToken
from testing.helpers import assert_problem, bearer_client, run_jobs, scoped_client
from todos.lists import Invitation
from todos.models import Todo

pytestmark = pytest.mark.django_db


@pytest.fixture
def friend(make_user):
    return make_user("friend@example.com", name="Friend", email_verified=True)


@pytest.fixture
def friend_client(friend):
    return bearer_client(friend)


@pytest.fixture
def groceries(auth_client):
    return auth_client.post("/api/v1/lists", {"name": "Groceries"}).json()


def invite(client, todo_list, email="friend@example.com", role="editor"):
    response = client.post(
        f"/api/v1/lists/{todo_list['id']}/invitations", {"email": email, "role": role}
    )
    assert response.status_code == 201, response.content
    return response


def share(owner_client, todo_list, member_client, role="editor"):
    """Invite the member's address and accept as them; the list as they see it."""
    email = member_client.get("/api/v1/auth/me").json()["email"]
    invite(owner_client, todo_list, email, role)
    mine = member_client.get("/api/v1/invitations").json()["results"]
    (invitation,) = [item for item in mine if item["list"] == todo_list["id"]]
    accepted = member_client.post(f"/api/v1/invitations/{invitation['id']}/accept")
    assert accepted.status_code == 200, accepted.content
    return accepted.json()


# --- invitations -------------------------------------------------------------


def test_an_invitation_is_mailed_and_answered_by_the_verified_address(
    auth_client, friend_client, groceries
):
    response = invite(auth_client, groceries, "Friend@Example.com")
    invitation = response.json()
    assert invitation["email"] == "friend@example.com"
    assert invitation["role"] == "editor"
    assert invitation["list"] == groceries["id"]
    assert invitation["invited_by"]["email"] == "user@example.com"
    assert response["Location"].endswith(
        f"/lists/{groceries['id']}/invitations/{invitation['id']}"
    )
    run_jobs()
    (message,) = mail.outbox
    assert message.to == ["friend@example.com"]
    assert "Groceries" in message.subject
    assert f"/invitations/{invitation['id']}" in message.body

    mine = friend_client.get("/api/v1/invitations").json()["results"]
    assert [item["id"] for item in mine] == [invitation["id"]]
    shown = friend_client.post(f"/api/v1/invitations/{invitation['id']}/accept")
    assert shown.status_code == 200
    assert shown.json()["role"] == "editor"
    assert shown.json()["owner"]["email"] == "user@example.com"
    assert shown.json()["member_count"] == 2
    assert shown["ETag"]

    lists = friend_client.get("/api/v1/lists").json()["results"]
    assert [item["name"] for item in lists] == ["Inbox", "Groceries"]
    members = auth_client.get(f"/api/v1/lists/{groceries['id']}/members").json()
    assert [(m["user"]["email"], m["role"]) for m in members] == [
        ("user@example.com", "owner"),
        ("friend@example.com", "editor"),
    ]
    assert (
        auth_client.get(f"/api/v1/lists/{groceries['id']}/invitations").json()[
            "results"
        ]
        == []
    )


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    auth_client, friend, groceries
):
    known = invite(auth_client, groceries, "friend@example.com").json()
    unknown = invite(auth_client, groceries, "nobody@example.com").json()
    keys = {"id", "email", "created_at", "expires_at"}
    assert {k: v for k, v in known.items() if k not in keys} == {
        k: v for k, v in unknown.items() if k not in keys
    }
    run_jobs()
    assert sorted(message.to[0] for message in mail.outbox) == [
        "friend@example.com",
        "nobody@example.com",
    ]


def test_an_unverified_address_sees_no_invitation_until_it_is_verified(
    auth_client, make_user, groceries
):
    invite(auth_client, groceries, "late@example.com")
    late = make_user("late@example.com")  # signed up after the invitation
    client = bearer_client(late)
    assert client.get("/api/v1/invitations").json()["results"] == []

    late.email_verified = True
    late.save()
    (pending,) = client.get("/api/v1/invitations").json()["results"]
    assert client.post(f"/api/v1/invitations/{pending['id']}/accept").status_code == 200


def test_an_expired_invitation_can_no_longer_be_accepted(
    auth_client, friend_client, groceries
):
    invitation = invite(auth_client, groceries).json()
    Invitation.objects.filter(pk=invitation["id"]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert friend_client.get("/api/v1/invitations").json()["results"] == []
    response = friend_client.post(f"/api/v1/invitations/{invitation['id']}/accept")
    assert_problem(response, 404)
    assert friend_client.get(f"/api/v1/lists/{groceries['id']}").status_code == 404


def test_prune_removes_expired_invitations(auth_client, groceries):
    from django.core.management import call_command

    old = invite(auth_client, groceries, "old@example.com").json()
    fresh = invite(auth_client, groceries, "fresh@example.com").json()
    Invitation.objects.filter(pk=old["id"]).update(expires_at=timezone.now())

    call_command("prune", stdout=None)

    assert list(Invitation.objects.values_list("pk", flat=True)) == [fresh["id"]]


def test_invitations_are_rate_limited_per_inviter(auth_client, groceries, settings):
    settings.INVITATION_THROTTLE_RATE = "2/hour"
    for n in range(2):
        invite(auth_client, groceries, f"guest{n}@example.com")

    response = auth_client.post(
        f"/api/v1/lists/{groceries['id']}/invitations", {"email": "more@example.com"}
    )

    assert_problem(response, 429)
    assert response["Retry-After"]
    assert not Invitation.objects.filter(email="more@example.com").exists()


def test_bulk_follows_the_roles_of_shared_lists(auth_client, friend_client, groceries):
    share(auth_client, groceries, friend_client, role="viewer")
    todo = auth_client.post(
        "/api/v1/todos", {"title": "Bread", "list": groceries["id"]}
    ).json()
    theirs = friend_client.post("/api/v1/todos", {"title": "Mine"}).json()

    results = friend_client.post(
        "/api/v1/todos/bulk",
        {
            "operations": [
                {"op": "update", "id": todo["id"], "data": {"title": "x"}},
                {"op": "create", "data": {"title": "y", "list": groceries["id"]}},
                {"op": "delete", "id": todo["id"]},
                {"op": "update", "id": theirs["id"], "data": {"title": "Mine!"}},
            ],
            "atomic": False,
        },
        format="json",
    ).json()["results"]

    assert [result["status"] for result in results] == [403, 403, 403, 200]
    assert auth_client.get(f"/api/v1/todos/{todo['id']}").json()["title"] == "Bread"

    auth_client.patch(
        f"/api/v1/lists/{groceries['id']}/members/"
        f"{friend_client.get('/api/v1/auth/me').json()['id']}",
        {"role": "editor"},
    )
    made = friend_client.post(
        "/api/v1/todos/bulk",
        {
            "operations": [
                {"op": "create", "data": {"title": "y", "list": groceries["id"]}},
                {"op": "move", "id": todo["id"], "after": None},
            ],
            "atomic": True,
        },
        format="json",
    ).json()["results"]
    assert [result["status"] for result in made] == [201, 200]


def test_an_invitation_lasts_14_days(auth_client, groceries):
    invitation = invite(auth_client, groceries).json()
    created = dt.datetime.fromisoformat(invitation["created_at"])
    expires = dt.datetime.fromisoformat(invitation["expires_at"])
    assert expires - created == dt.timedelta(days=14)


def test_declined_and_revoked_invitations_go(auth_client, friend_client, groceries):
    first = invite(auth_client, groceries).json()
    assert (
        friend_client.post(f"/api/v1/invitations/{first['id']}/decline").status_code
        == 204
    )
    assert friend_client.get("/api/v1/invitations").json()["results"] == []

    second = invite(auth_client, groceries).json()
    url = f"/api/v1/lists/{groceries['id']}/invitations/{second['id']}"
    assert auth_client.get(url).status_code == 200
    assert auth_client.delete(url).status_code == 204
    assert auth_client.get(url).status_code == 404
    response = friend_client.post(f"/api/v1/invitations/{second['id']}/accept")
    assert_problem(response, 404)


def test_someone_elses_invitation_cannot_be_answered(
    auth_client, other_client, friend_client, groceries
):
    invitation = invite(auth_client, groceries).json()
    for client in (other_client, auth_client):
        response = client.post(f"/api/v1/invitations/{invitation['id']}/accept")
        assert_problem(response, 404)
    assert friend_client.get("/api/v1/invitations").json()["count"] == 1


def test_the_default_list_cannot_be_shared(auth_client):
    inbox = auth_client.get("/api/v1/lists").json()["results"][0]
    response = auth_client.post(
        f"/api/v1/lists/{inbox['id']}/invitations", {"email": "friend@example.com"}
    )
    assert assert_problem(response, 409)["code"] == "default_list"


def test_a_member_cannot_be_invited_again(auth_client, friend_client, groceries):
    share(auth_client, groceries, friend_client)
    response = auth_client.post(
        f"/api/v1/lists/{groceries['id']}/invitations", {"email": "friend@example.com"}
    )
    assert assert_problem(response, 409)["code"] == "sharing"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "not an address"}, "email"),
        ({"email": "friend@example.com", "role": "owner"}, "role"),
        ({"role": "viewer"}, "email"),
    ],
)
def test_bad_invitations_say_which_field(auth_client, groceries, body, field):
    response = auth_client.post(f"/api/v1/lists/{groceries['id']}/invitations", body)
    assert_problem(response, 400, field)
    assert not Invitation.objects.exists()


def test_only_the_owner_manages_invitations(
    auth_client, friend_client, other_client, groceries
):
    share(auth_client, groceries, friend_client)
    url = f"/api/v1/lists/{groceries['id']}/invitations"
    assert_problem(friend_client.get(url), 403)
    assert_problem(friend_client.post(url, {"email": "x@example.com"}), 403)
    assert_problem(other_client.get(url), 404)
    assert_problem(other_client.post(url, {"email": "x@example.com"}), 404)


# --- roles ---------------------------------------------------------------------


def test_an_editor_writes_todos_in_the_shared_list(
    auth_client, friend_client, user, friend, groceries
):
    share(auth_client, groceries, friend_client)
    made = friend_client.post(
        "/api/v1/todos", {"title": "Milk", "list": groceries["id"]}
    ).json()
    assert made["created_by"]["email"] == "friend@example.com"
    todo = Todo.objects.get(pk=made["id"])
    assert todo.owner_id == user.pk  # in the owner's books, as its list

    seen = auth_client.get(f"/api/v1/todos/{made['id']}")
    assert seen.status_code == 200
    changed = auth_client.patch(
        f"/api/v1/todos/{made['id']}",
        {"completed": True, "assignee_id": friend.pk},
    ).json()
    assert changed["assignee"]["email"] == "friend@example.com"
    again = friend_client.get(f"/api/v1/todos/{made['id']}").json()
    assert again["completed"] is True

    titles = {
        item["title"] for item in friend_client.get("/api/v1/todos").json()["results"]
    }
    assert titles == {"Milk"}
    stats = friend_client.get("/api/v1/todos/stats").json()
    assert (stats["total"], stats["completed"]) == (1, 1)
    assert friend_client.delete(f"/api/v1/todos/{made['id']}").status_code == 204
    assert auth_client.get(f"/api/v1/todos/{made['id']}").status_code == 404


def test_a_viewer_reads_but_cannot_write(auth_client, friend_client, groceries):
    share(auth_client, groceries, friend_client, role="viewer")
    todo = auth_client.post(
        "/api/v1/todos", {"title": "Bread", "list": groceries["id"]}
    ).json()

    assert friend_client.get(f"/api/v1/todos/{todo['id']}").status_code == 200
    assert_problem(
        friend_client.post("/api/v1/todos", {"title": "x", "list": groceries["id"]}),
        403,
    )
    assert_problem(
        friend_client.patch(f"/api/v1/todos/{todo['id']}", {"title": "y"}), 403
    )
    assert_problem(friend_client.delete(f"/api/v1/todos/{todo['id']}"), 403)
    assert_problem(
        friend_client.post(f"/api/v1/todos/{todo['id']}/move", {"after": None}), 403
    )
    assert_problem(
        friend_client.patch(f"/api/v1/lists/{groceries['id']}", {"name": "z"}), 403
    )
    assert auth_client.get(f"/api/v1/todos/{todo['id']}").json()["title"] == "Bread"


def test_a_non_member_sees_nothing_of_a_shared_list(
    auth_client, friend_client, other_client, groceries
):
    share(auth_client, groceries, friend_client)
    todo = auth_client.post(
        "/api/v1/todos", {"title": "Eggs", "list": groceries["id"]}
    ).json()
    assert_problem(other_client.get(f"/api/v1/todos/{todo['id']}"), 404)
    assert_problem(other_client.get(f"/api/v1/lists/{groceries['id']}"), 404)
    assert_problem(other_client.get(f"/api/v1/lists/{groceries['id']}/members"), 404)
    assert other_client.get("/api/v1/todos").json()["count"] == 0


def test_an_editor_moves_a_todo_between_their_list_and_a_shared_one(
    auth_client, friend_client, user, friend, groceries
):
    share(auth_client, groceries, friend_client)
    mine = friend_client.post("/api/v1/todos", {"title": "Cheese"}).json()
    friend_client.post("/api/v1/todos", {"title": "Rind", "parent": mine["id"]})

    moved = friend_client.patch(
        f"/api/v1/todos/{mine['id']}", {"list": groceries["id"]}
    ).json()
    assert moved["list"] == groceries["id"]
    assert Todo.objects.filter(list_id=groceries["id"], owner=user).count() == 2
    owner_view = auth_client.get(f"/api/v1/todos?list={groceries['id']}").json()
    assert {item["title"] for item in owner_view["results"]} == {"Cheese", "Rind"}
    assert friend_client.get("/api/v1/todos/stats").json()["total"] == 2
    assert auth_client.get("/api/v1/todos/stats").json()["total"] == 2

    back = friend_client.post(
        f"/api/v1/todos/{mine['id']}/move", {"list": moved["list"] - 0, "after": None}
    )
    assert back.status_code == 200
    inbox = friend_client.get("/api/v1/lists").json()["results"][0]["id"]
    home = friend_client.patch(f"/api/v1/todos/{mine['id']}", {"list": inbox})
    assert home.status_code == 200
    assert Todo.objects.filter(owner=friend).count() == 2
    assert auth_client.get("/api/v1/todos/stats").json()["total"] == 0


# --- members -------------------------------------------------------------------


def test_the_owner_changes_a_members_role(
    auth_client, friend_client, friend, groceries
):
    share(auth_client, groceries, friend_client)
    url = f"/api/v1/lists/{groceries['id']}/members/{friend.pk}"
    changed = auth_client.patch(url, {"role": "viewer"})
    assert changed.status_code == 200
    assert changed.json()["role"] == "viewer"
    assert (
        friend_client.get(f"/api/v1/lists/{groceries['id']}").json()["role"] == "viewer"
    )
    assert_problem(auth_client.patch(url, {"role": "owner"}), 400, "role")
    assert_problem(friend_client.patch(url, {"role": "editor"}), 403)


def test_a_removed_member_loses_access_at_their_next_request(
    auth_client, friend_client, friend, groceries
):
    share(auth_client, groceries, friend_client)
    todo = auth_client.post(
        "/api/v1/todos",
        {"title": "Tea", "list": groceries["id"]},
    ).json()
    auth_client.patch(f"/api/v1/todos/{todo['id']}", {"assignee_id": friend.pk})
    second_session = bearer_client(friend)
    assert second_session.get(f"/api/v1/todos/{todo['id']}").status_code == 200

    removed = auth_client.delete(f"/api/v1/lists/{groceries['id']}/members/{friend.pk}")
    assert removed.status_code == 204
    for client in (friend_client, second_session):
        assert_problem(client.get(f"/api/v1/todos/{todo['id']}"), 404)
        assert_problem(client.get(f"/api/v1/lists/{groceries['id']}"), 404)
        assert client.get("/api/v1/todos").json()["count"] == 0
    assert auth_client.get(f"/api/v1/todos/{todo['id']}").json()["assignee"] is None
    assert (
        auth_client.get(f"/api/v1/lists/{groceries['id']}").json()["member_count"] == 1
    )


def test_a_member_leaves_and_the_owner_cannot(
    auth_client, friend_client, user, friend, groceries
):
    share(auth_client, groceries, friend_client, role="viewer")
    assert_problem(
        friend_client.delete(f"/api/v1/lists/{groceries['id']}/members/{user.pk}"), 403
    )
    response = auth_client.delete(f"/api/v1/lists/{groceries['id']}/members/{user.pk}")
    assert assert_problem(response, 409)["code"] == "sharing"
    left = friend_client.delete(f"/api/v1/lists/{groceries['id']}/members/{friend.pk}")
    assert left.status_code == 204
    assert_problem(friend_client.get(f"/api/v1/lists/{groceries['id']}"), 404)


def test_the_owner_hands_the_list_to_a_member(
    auth_client, friend_client, user, friend, groceries
):
    share(auth_client, groceries, friend_client)
    todo = auth_client.post(
        "/api/v1/todos", {"title": "Rice", "list": groceries["id"], "tags": ["dry"]}
    ).json()
    handed = auth_client.post(
        f"/api/v1/lists/{groceries['id']}/transfer", {"user_id": friend.pk}
    )
    assert handed.status_code == 200, handed.content
    assert handed.json()["role"] == "editor"
    assert handed.json()["owner"]["email"] == "friend@example.com"
    assert (
        friend_client.get(f"/api/v1/lists/{groceries['id']}").json()["role"] == "owner"
    )
    assert Todo.objects.get(pk=todo["id"]).owner_id == friend.pk
    stats = friend_client.get(f"/api/v1/todos/stats?list={groceries['id']}").json()
    assert stats["by_tag"] == {"dry": {"total": 1, "completed": 0}}
    assert friend_client.get("/api/v1/todos/stats").json()["by_tag"] == stats["by_tag"]
    assert auth_client.get("/api/v1/todos/stats").json()["total"] == 1
    # The old owner is an editor now: no more member management.
    assert_problem(
        auth_client.post(
            f"/api/v1/lists/{groceries['id']}/transfer", {"user_id": user.pk}
        ),
        403,
    )
    response = friend_client.post(
        f"/api/v1/lists/{groceries['id']}/transfer", {"user_id": 10**12}
    )
    assert_problem(response, 400, "user_id")


# --- tokens ----------------------------------------------------------------------


def test_sharing_needs_the_lists_share_scope(
    user, friend, groceries, auth_client, friend_client
):
    writer = scoped_client(user, [ApiToken.Scope.READ, ApiToken.Scope.WRITE])
    url = f"/api/v1/lists/{groceries['id']}/invitations"
    assert_problem(writer.post(url, {"email": "friend@example.com"}), 403)
    assert writer.get(url).status_code == 200
    sharer = scoped_client(user, [ApiToken.Scope.SHARE])
    assert sharer.post(url, {"email": "friend@example.com"}).status_code == 201

    share(auth_client, groceries, friend_client)
    member_url = f"/api/v1/lists/{groceries['id']}/members/{friend.pk}"
    assert_problem(writer.patch(member_url, {"role": "viewer"}), 403)
    assert_problem(
        writer.post(
            f"/api/v1/lists/{groceries['id']}/transfer", {"user_id": friend.pk}
        ),
        403,
    )
    assert writer.get(f"/api/v1/lists/{groceries['id']}/members").status_code == 200
    # Leaving is the member's own write.
    friend_writer = scoped_client(friend, [ApiToken.Scope.WRITE])
    assert friend_writer.delete(member_url).status_code == 204


# --- the change feed and ETags across members ----------------------------------

from todos.tests.test_changes_api import replay, seen_by  # noqa: E402


def test_joining_a_list_delivers_it_with_all_its_todos(
    auth_client, friend_client, groceries
):
    for title in ("Milk", "Eggs", "Flour"):
        auth_client.post("/api/v1/todos", {"title": title, "list": groceries["id"]})
    replica, cursor = replay(friend_client)
    share(auth_client, groceries, friend_client)

    replica, _ = replay(friend_client, replica, cursor, limit=2)

    assert replica == seen_by(friend_client)
    assert ("list", groceries["id"]) in replica
    titles = {body["title"] for (kind, _), body in replica.items() if kind == "todo"}
    assert titles == {"Milk", "Eggs", "Flour"}


def test_every_members_writes_reach_every_members_feed(
    auth_client, friend_client, friend, groceries
):
    share(auth_client, groceries, friend_client)
    replicas = {}
    cursors = {}
    for name, client in (("owner", auth_client), ("friend", friend_client)):
        replicas[name], cursors[name] = replay(client)
    made = friend_client.post(
        "/api/v1/todos", {"title": "Milk", "list": groceries["id"]}
    ).json()
    sub = auth_client.post(
        "/api/v1/todos", {"title": "Oat", "parent": made["id"], "list": groceries["id"]}
    ).json()
    auth_client.patch(f"/api/v1/todos/{made['id']}", {"assignee_id": friend.pk})
    friend_client.post(f"/api/v1/todos/{sub['id']}/move", {"after": None})
    gone = friend_client.post(
        "/api/v1/todos", {"title": "Gone", "list": groceries["id"]}
    ).json()
    auth_client.delete(f"/api/v1/todos/{gone['id']}")
    mine = friend_client.post("/api/v1/todos", {"title": "Mine"}).json()
    friend_client.patch(f"/api/v1/todos/{mine['id']}", {"list": groceries["id"]})

    for name, client in (("owner", auth_client), ("friend", friend_client)):
        replica, _ = replay(client, replicas[name], cursors[name], limit=2)
        assert replica == seen_by(client), name


def test_a_new_member_is_a_change_of_the_list_for_the_others(
    auth_client, friend_client, other_user, groceries
):
    share(auth_client, groceries, friend_client)
    replica, cursor = replay(friend_client)
    other_user.email_verified = True
    other_user.save()
    share(auth_client, groceries, bearer_client(other_user), role="viewer")

    replica, _ = replay(friend_client, replica, cursor)

    assert replica["list", groceries["id"]]["member_count"] == 3
    assert replica == seen_by(friend_client)


def test_losing_access_delivers_the_deletion_of_the_list_and_its_todos(
    auth_client, friend_client, friend, groceries
):
    share(auth_client, groceries, friend_client)
    kept = friend_client.post("/api/v1/todos", {"title": "My own"}).json()
    for title in ("Milk", "Eggs", "Flour"):
        auth_client.post("/api/v1/todos", {"title": title, "list": groceries["id"]})
    replica, cursor = replay(friend_client)
    doomed = auth_client.post(
        "/api/v1/todos", {"title": "Deleted meanwhile", "list": groceries["id"]}
    ).json()
    replica, cursor = replay(friend_client, replica, cursor)
    auth_client.delete(f"/api/v1/todos/{doomed['id']}")  # after the member's sync
    auth_client.delete(f"/api/v1/lists/{groceries['id']}/members/{friend.pk}")

    replica, cursor = replay(friend_client, replica, cursor, limit=2)

    assert replica == seen_by(friend_client)
    assert set(replica) == {("list", kept["list"]), ("todo", kept["id"])}
    # And nothing more after that.
    assert friend_client.get(FEED, {"cursor": cursor}).json()["changes"] == []


def test_a_deleted_shared_list_is_a_deletion_in_each_members_feed(
    auth_client, friend_client, groceries
):
    share(auth_client, groceries, friend_client)
    auth_client.post("/api/v1/todos", {"title": "Milk", "list": groceries["id"]})
    replica, cursor = replay(friend_client)
    auth_client.delete(f"/api/v1/lists/{groceries['id']}")

    body = friend_client.get(FEED, {"cursor": cursor}).json()

    assert [(c["type"], c["op"]) for c in body["changes"]] == [
        ("todo", "delete"),
        ("list", "delete"),
    ]


def test_a_handed_over_list_stays_in_sync_for_both(
    auth_client, friend_client, friend, groceries
):
    share(auth_client, groceries, friend_client)
    for title in ("Milk", "Eggs"):
        auth_client.post("/api/v1/todos", {"title": title, "list": groceries["id"]})
    gone = auth_client.post(
        "/api/v1/todos", {"title": "Gone", "list": groceries["id"]}
    ).json()
    replicas, cursors = {}, {}
    clients = {"old": auth_client, "new": friend_client}
    for name, client in clients.items():
        replicas[name], cursors[name] = replay(client)
    auth_client.delete(f"/api/v1/todos/{gone['id']}")
    auth_client.post(
        f"/api/v1/lists/{groceries['id']}/transfer", {"user_id": friend.pk}
    )

    for name, client in clients.items():
        replica, _ = replay(client, replicas[name], cursors[name], limit=2)
        assert replica == seen_by(client), name


def test_a_cursor_is_the_callers_own(auth_client, friend_client):
    cursor = auth_client.get(FEED).json()["cursor"]
    assert_problem(friend_client.get(FEED, {"cursor": cursor}), 400, "cursor")
    forged = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    assert_problem(auth_client.get(FEED, {"cursor": forged}), 400, "cursor")


def test_the_collection_etag_moves_with_another_members_write(
    auth_client, friend_client, groceries, django_assert_max_num_queries
):
    share(auth_client, groceries, friend_client)
    for url in ("/api/v1/todos", "/api/v1/lists", "/api/v1/todos/stats"):
        etag = friend_client.get(url)["ETag"]
        # session, rate counter, the version of what they see: then 304.
        with django_assert_max_num_queries(3):
            again = friend_client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304
        auth_client.post("/api/v1/todos", {"title": url, "list": groceries["id"]})
        changed = friend_client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert changed.status_code == 200
        assert changed["ETag"] != etag


FEED = "/api/v1/todos/changes"


def test_deleting_an_account_tells_the_members_of_its_lists(
    auth_client, friend_client, user, friend, groceries
):
    from testing import PASSWORD

    user.email_verified = True
    user.save()
    share(auth_client, groceries, friend_client)
    auth_client.post("/api/v1/todos", {"title": "Milk", "list": groceries["id"]})
    # The friend's own shared list, where the leaving account is assigned.
    theirs = friend_client.post("/api/v1/lists", {"name": "Theirs"}).json()
    share(friend_client, theirs, auth_client)
    me = auth_client.get("/api/v1/auth/me").json()
    task = friend_client.post(
        "/api/v1/todos",
        {"title": "Yours", "list": theirs["id"], "assignee_id": me["id"]},
    ).json()
    assert task["assignee"]["id"] == me["id"]
    replica, cursor = replay(friend_client)

    deleted = auth_client.delete("/api/v1/auth/me", {"password": PASSWORD})
    assert deleted.status_code == 204

    replica, _ = replay(friend_client, replica, cursor)
    assert replica == seen_by(friend_client)
    assert ("list", groceries["id"]) not in replica
    assert replica["todo", task["id"]]["assignee"] is None
    assert replica["list", theirs["id"]]["member_count"] == 1
    assert friend_client.get("/api/v1/todos/stats").json()["total"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/lists/-1893940903272408024088576/move",
        "/api/v1/lists/185367891394718629888/transfer",
        "/api/v1/lists/185367891394718629888/invitations",
        "/api/v1/lists/185367891394718629888/members",
    ],
)
def test_ids_no_list_can_have_are_404s(auth_client, path):
    response = auth_client.post(path, {"after": None, "user_id": 5}, format="json")
    assert response.status_code in (404, 405)
    assert response["Content-Type"] == "application/problem+json"
