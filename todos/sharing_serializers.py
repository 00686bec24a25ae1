"""Invitations and members as the API shows and takes them."""

from rest_framework import serializers

from accounts.models import UserManager
from api.fields import StrictEmailField, StrictIntegerField, iso_datetime
from todos.lists import Role
from todos.people import UserRefSerializer, user_ref

# The roles an owner can give: a list has one owner (see transfer).
GIVEN_ROLES = [(role.value, role.label) for role in (Role.EDITOR, Role.VIEWER)]


class InvitationSerializer(serializers.Serializer):
    """A pending invitation, as its list's owner and its invitee see it."""

    id = serializers.IntegerField()
    list = serializers.IntegerField(help_text="The list's id.")
    list_name = serializers.CharField()
    email = serializers.EmailField(help_text="The address invited.")
    role = serializers.ChoiceField(choices=GIVEN_ROLES)
    invited_by = UserRefSerializer()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(
        help_text="After this it can no longer be accepted (14 days)."
    )

    def to_representation(self, invitation):
        return {
            "id": invitation.pk,
            "list": invitation.list_id,
            "list_name": invitation.list.name,
            "email": invitation.email,
            "role": invitation.role,
            "invited_by": user_ref(invitation.invited_by),
            "created_at": iso_datetime(invitation.created_at),
            "expires_at": iso_datetime(invitation.expires_at),
        }


class InviteSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    role = serializers.ChoiceField(
        choices=GIVEN_ROLES,
        default=Role.EDITOR.value,
        help_text="What the invitee may do: `editor` (default) or `viewer`.",
    )

    def validate_email(self, value):
        return UserManager.normalize_email(value)


class MemberSerializer(serializers.Serializer):
    user = UserRefSerializer()
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField()

    def to_representation(self, membership):
        return {
            "user": user_ref(membership.user),
            "role": membership.role,
            "joined_at": iso_datetime(membership.joined_at),
        }


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=GIVEN_ROLES, help_text="`editor` or `viewer` (see transfer for owner)."
    )


class TransferSerializer(serializers.Serializer):
    user_id = StrictIntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="The member to make the owner; the owner becomes an editor.",
    )
