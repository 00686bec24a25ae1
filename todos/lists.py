"""
Lists: every todo is in one, and every account has a default one (its
Inbox). A Membership is a user's place in a list: their role and their own
position of it in their order of lists; the owner is a member too.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from todos.ordering import PositionField

DEFAULT_LIST_NAME = "Inbox"


class Role(models.TextChoices):
    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"


# What each role may do, from least to most.
ROLE_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.OWNER: 2}


class TodoList(models.Model):
    # No index of its own: the one-default constraint and (owner, seq) lead
    # with it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="owned_lists",
        db_index=False,
    )
    name = models.CharField(max_length=200)
    color = models.CharField(max_length=7, null=True, blank=True)  # noqa: DJ001
    is_default = models.BooleanField(default=False, editable=False)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The owner's change number of this list's latest change (todos.ledger),
    # as a todo's: its version and its place in the change feed.
    seq = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(is_default=True),
                name="todolist_one_default_per_owner",
            ),
        ]
        indexes = [models.Index(fields=["owner", "seq"], name="todolist_owner_seq")]

    def __str__(self):
        return self.name


class MembershipQuerySet(models.QuerySet):
    def shown_to(self, user):
        """
        The user's memberships in their order of lists, each with its list,
        the list's owner and its counts: one query for a page of lists.
        """
        from todos.ledger import TodoStat

        counts = TodoStat.objects.filter(
            owner_id=OuterRef("list__owner_id"),
            list_id=OuterRef("list_id"),
            dimension="priority",
        )
        return (
            self.filter(user=user)
            .select_related("list__owner")
            .annotate(
                member_count=_sum(
                    Membership.objects.filter(list_id=OuterRef("list_id")), Value(1)
                ),
                todo_count=_sum(counts, "n"),
                open_count=_sum(counts.filter(completed=False), "n"),
            )
            .order_by("position", "list__created_at", "list_id")
        )


def _sum(queryset, expression):
    total = queryset.order_by().values("list_id").annotate(total=Sum(expression))
    return Coalesce(Subquery(total.values("total")), 0)


class Membership(models.Model):
    list = models.ForeignKey(
        TodoList, on_delete=models.CASCADE, related_name="memberships"
    )
    # Indexed by (user, position) below.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        db_index=False,
    )
    role = models.CharField(max_length=8, choices=Role.choices)
    # The member's own order of their lists.
    position = PositionField(default="")
    joined_at = models.DateTimeField(default=timezone.now, editable=False)
    # The list owner's change number of this membership's latest change (a
    # move in the member's order, a new role): the list's version for them.
    seq = models.BigIntegerField(default=0, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["list", "user"], name="membership_once_per_list"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "position"], name="membership_user_position")
        ]

    def __str__(self):
        return f"{self.user} in {self.list} as {self.role}"


# How long an invitation waits for its answer.
INVITATION_LIFETIME = dt.timedelta(days=14)


def _expiry():
    return timezone.now() + INVITATION_LIFETIME


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(expires_at__gt=timezone.now())

    def for_invitee(self, user):
        """The pending invitations a user may answer: to their verified address."""
        if not user.email_verified:
            return self.none()
        return self.pending().filter(email=user.email)


class Invitation(models.Model):
    """
    An offer to join a list, made by its owner to an email address: nobody
    becomes a member without accepting, and the owner learns nothing of
    whether the address has an account (the invitee answers from the account
    that verified the address, signed up before or after).
    """

    list = models.ForeignKey(
        TodoList, on_delete=models.CASCADE, related_name="invitations"
    )
    # Normalised as accounts' are (lower case): matched to verified ones.
    email = models.EmailField(max_length=254)
    role = models.CharField(
        max_length=8, choices=[(r.value, r.label) for r in (Role.EDITOR, Role.VIEWER)]
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_expiry)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["list", "email"], name="invitation_once_per_list"
            ),
        ]
        indexes = [
            models.Index(fields=["email", "expires_at"], name="invitation_email")
        ]

    def __str__(self):
        return f"{self.email} to {self.list} as {self.role}"
