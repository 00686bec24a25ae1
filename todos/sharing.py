"""
Sharing a list: invitations, members and their roles, and handing a list
to another owner. Every change here is a write in the list owner's ledger
Book (todos.ledger), so it takes the owner's lock and a change number, as
the list's todos do: the feed and the ETags see it in order.

Losing access needs nothing more: who sees what is read from the
memberships on every request (todos.access), and the removed member's
SyncState.shared, which their next request loads with its session, is
recounted here.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status

from api.exceptions import CodedProblem
from todos import ledger, reminders
from todos.invitation_mail import mail_invitation
from todos.ledger import Tombstone, count_shared
from todos.lists import INVITATION_LIFETIME, Invitation, Membership, Role

# Members of a list and invitations waiting, together: what a list's
# member listing (one array) and its mails are bounded by.
MAX_MEMBERS = 100


class SharingConflict(CodedProblem):
    status_code = status.HTTP_409_CONFLICT
    default_code = "sharing"


class DefaultListConflict(CodedProblem):
    status_code = status.HTTP_409_CONFLICT
    default_code = "default_list"


def require_shareable(todo_list):
    if todo_list.is_default:
        raise DefaultListConflict("The default list cannot be shared.")


# --- invitations -------------------------------------------------------------


def invite(book, todo_list, email, role, invited_by, base_url):
    """
    Invite `email` (normalised) to `todo_list` as `role`, and mail it a
    link from the worker. Inviting an address again renews its invitation
    (the new role, a fresh expiry, a new mail). The answer is the same
    whether or not the address has an account: nothing here looks.
    """
    require_shareable(todo_list)
    if todo_list.memberships.filter(user__email=email).exists():
        raise SharingConflict("This address is already a member of the list.")
    book.account(todo_list.owner_id)  # the owner's lock: one invitation per address
    waiting = Invitation.objects.pending().filter(list=todo_list).exclude(email=email)
    if todo_list.memberships.count() + waiting.count() >= MAX_MEMBERS:
        raise SharingConflict(
            f"A list has at most {MAX_MEMBERS} members and invitations waiting."
        )
    now = timezone.now()
    invitation, _ = Invitation.objects.update_or_create(
        list=todo_list,
        email=email,
        defaults={
            "role": role,
            "invited_by": invited_by,
            "created_at": now,
            "expires_at": now + INVITATION_LIFETIME,
        },
    )
    mail_invitation(invitation, base_url)
    return invitation


def accept(user, invitation):
    """
    `user` joins the invitation's list in its role, last in their order
    of lists; returns their membership.
    """
    todo_list = invitation.list
    with ledger.writing(todo_list.owner_id, changes=0) as book:
        # Under the owner's lock: the invitation is still there (not revoked
        # or answered by a concurrent request), and the list too.
        if not Invitation.objects.filter(pk=invitation.pk).delete()[0]:
            return None
        membership = Membership(
            list=todo_list,
            user=user,
            role=invitation.role,
            position=ledger.last_position(user.pk),
        )
        try:
            with transaction.atomic():
                book.save_membership(membership, todo_list.owner_id)
        except IntegrityError:  # already a member (say, invited twice)
            return Membership.objects.get(list=todo_list, user=user)
        # A change of the list for those already in it: its member count.
        book.save_list(todo_list, update_fields=["seq", "updated_at"])
        count_shared([user.pk])
    return membership


# --- members -----------------------------------------------------------------


def set_role(book, membership, role):
    """A member's new role (not the owner's: see transfer())."""
    if membership.role == Role.OWNER:
        raise SharingConflict(
            "The owner's role changes only by handing the list to another "
            "member (POST lists/{id}/transfer)."
        )
    if membership.role != role:
        membership.role = role
        book.save_membership(
            membership, membership.list.owner_id, update_fields=["role", "seq"]
        )
    return membership


def remove(book, membership):
    """
    Take a member out of a list (not its owner): they lose access at their
    next request, and their assignments in the list are cleared, each a
    change to the todo.
    """
    from todos.models import Todo

    if membership.role == Role.OWNER:
        raise SharingConflict(
            "The owner cannot leave their list: delete it, or hand it to "
            "another member first (POST lists/{id}/transfer)."
        )
    todo_list = membership.list
    book.account(todo_list.owner_id)
    membership.delete()
    assigned = Todo.objects.filter(list=todo_list, assignee_id=membership.user_id)
    for todo in assigned:
        todo.assignee_id = None
        book.save(todo, update_fields=["assignee_id"])
    reminders.redirect_from(membership.user_id, todo_list)
    # A change of the list for those who stay: its member count moved.
    book.save_list(todo_list, update_fields=["seq", "updated_at"])
    count_shared([membership.user_id])


def transfer(book, todo_list, membership):
    """
    Make `membership`'s user the owner of `todo_list`; its owner stays an
    editor. The list and its todos move to the new owner's books (their
    change numbers, counts and summary): each todo a change in the feed.
    """
    from todos.models import Todo

    if membership.role == Role.OWNER:
        raise SharingConflict("This member already owns the list.")
    old_owner, new_owner = todo_list.owner_id, membership.user_id
    book.account(old_owner), book.account(new_owner)  # both locks
    Membership.objects.filter(list=todo_list, user_id=old_owner).update(
        role=Role.EDITOR
    )
    membership.role = Role.OWNER
    # In the old owner's numbers, the list leaves their own lists (a feed
    # that held it as theirs hands its past deletions back: todos.feed).
    Tombstone.objects.create(
        owner_id=old_owner,
        kind="list",
        todo_id=todo_list.pk,
        list_id=todo_list.pk,
        seq=book.account(old_owner).next_number(),
    )
    todo_list.owner_id = new_owner
    book.save_list(todo_list, update_fields=["owner", "seq", "updated_at"])
    book.save_membership(membership, new_owner, update_fields=["role", "seq"])
    # One write per todo (a change each in the feed): a hand-over is rare,
    # and each todo's tag index, counts and tombstones follow the ledger's
    # one path for a change of owner.
    for todo in Todo.objects.filter(list=todo_list):
        todo.owner_id = new_owner
        book.save(todo, update_fields=["owner_id"])
    book.account(old_owner).lists_changed = True
    count_shared([old_owner, new_owner])


# --- accounts ------------------------------------------------------------------


def close_account(user):
    """
    Before an account is deleted: it leaves the lists of others (its
    assignments there cleared), and the lists it shares are deleted through
    the ledger, so that each member's feed hands back their deletions (the
    tombstones outlive their owner until prune). Its unshared lists go with
    it, as nobody else saw them.
    """
    from todos.lists import TodoList

    elsewhere = Membership.objects.filter(user=user).exclude(list__owner=user)
    for membership in elsewhere.select_related("list"):
        with ledger.writing(membership.list.owner_id, changes=0) as book:
            remove(book, membership)
    shared = (
        TodoList.objects.filter(owner=user)
        .filter(memberships__role__in=[Role.EDITOR, Role.VIEWER])
        .distinct()
    )
    for todo_list in shared:
        with ledger.writing(user.pk, changes=0) as book:
            book.delete_list(todo_list)
