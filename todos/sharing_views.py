"""
Sharing, over HTTP: a list's invitations and members (its owner manages
them; any member reads the members), and the caller's own invitations.
The rules are todos.sharing's; these views only check who asks.
"""

from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.mail import link_base
from accounts.models import ApiToken
from accounts.throttles import InvitationThrottle, InvitedAddressThrottle, UserThrottle
from api.params import path_id
from api.schema import etag_header, location_header, problems
from todos import ledger, list_rows, sharing
from todos.feed import list_etag
from todos.list_serializers import TodoListSerializer
from todos.lists import Invitation, Membership, Role
from todos.sharing_serializers import (
    InvitationSerializer,
    InviteSerializer,
    MemberRoleSerializer,
    MemberSerializer,
)


def share_scope(request):
    """The token scope of sharing (accounts.permissions)."""
    return ApiToken.Scope.SHARE


def _one(queryset, what, field, text):
    """The row of `queryset` whose `field` is the URL's `text`, or a 404."""
    found = queryset.filter(**{field: path_id(text, what)}).first()
    if found is None:
        raise NotFound(f"No {what} matches the given query.")
    return found


class OfList:
    """A view under lists/{list_pk}/: the caller's membership of that list."""

    @cached_property
    def membership(self):
        """The caller's membership (404 if they see no such list)."""
        mine = Membership.objects.filter(user=self.request.user).select_related("list")
        return _one(mine, "list", "list_id", self.kwargs["list_pk"])

    def require_owner(self):
        if self.membership.role != Role.OWNER:
            raise PermissionDenied("Only the list's owner can do this.")
        return self.membership.list


@extend_schema_view(
    list=extend_schema(
        summary="List a list's invitations",
        description="The invitations of the list still waiting for an answer. "
        "The owner's.",
        responses={200: InvitationSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Get an invitation of a list",
        description="A pending invitation of the list. The owner's.",
    ),
    destroy=extend_schema(
        summary="Revoke an invitation",
        description="The invitation can no longer be accepted. The owner's.",
        responses={204: None},
    ),
)
class ListInvitationViewSet(
    OfList,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = InvitationSerializer
    throttle_classes = [UserThrottle, InvitationThrottle, InvitedAddressThrottle]
    write_scope = staticmethod(share_scope)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Invitation.objects.none()
        todo_list = self.require_owner()
        return (
            Invitation.objects.pending()
            .filter(list=todo_list)
            .select_related("list", "invited_by")
        )

    def get_object(self):
        return _one(self.get_queryset(), "invitation", "pk", self.kwargs["pk"])

    @extend_schema(
        summary="Invite someone to a list",
        description="Mails `email` an invitation to join the list as `role`; "
        "they answer it from the account whose verified address it is (signed "
        "up now or later) within 14 days. The answer is the same whether or "
        "not the address has an account. Inviting an address again renews its "
        "invitation. The owner's; the default list cannot be shared (409).",
        request=InviteSerializer,
        parameters=[location_header(201)],
        responses={201: InvitationSerializer, **problems(409)},
    )
    def create(self, request, *args, **kwargs):
        todo_list = self.require_owner()
        invite = InviteSerializer(data=request.data)
        invite.is_valid(raise_exception=True)
        with ledger.writing(todo_list.owner_id, changes=0) as book:
            invitation = sharing.invite(
                book,
                todo_list,
                invite.validated_data["email"],
                invite.validated_data["role"],
                request.user,
                link_base(request),
            )
        location = reverse(
            "list-invitation-detail",
            args=[todo_list.pk, invitation.pk],
            request=request,
        )
        return Response(
            InvitationSerializer(invitation).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    def perform_destroy(self, instance):
        instance.delete()


@extend_schema_view(
    list=extend_schema(
        summary="List my invitations",
        description="The pending invitations to the caller's verified email "
        "address (none while it is unverified).",
        responses={200: InvitationSerializer(many=True)},
    ),
)
class InvitationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = InvitationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Invitation.objects.none()
        return Invitation.objects.for_invitee(self.request.user).select_related(
            "list", "invited_by"
        )

    def get_object(self):
        return _one(self.get_queryset(), "invitation", "pk", self.kwargs["pk"])

    @extend_schema(
        summary="Accept an invitation",
        description="The caller joins the list in the invitation's role; the "
        "answer is the list as they now see it. Its todos come in their change "
        "feed.",
        request=None,
        parameters=[etag_header(200)],
        responses={200: TodoListSerializer},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def accept(self, request, pk=None):
        membership = sharing.accept(request.user, self.get_object())
        if membership is None:  # answered or revoked meanwhile
            raise NotFound("No invitation matches the given query.")
        shown = list_rows.shown_one(request.user, membership.list_id)
        body = TodoListSerializer(shown).data
        return Response(body, headers={"ETag": list_etag(body)})

    @extend_schema(
        summary="Decline an invitation",
        description="The invitation goes; the list's owner no longer sees it.",
        request=None,
        responses={204: None},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def decline(self, request, pk=None):
        self.get_object().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List a list's members",
        description="Everyone who sees the list, its owner included (role "
        "`owner`), oldest member first. Any member's.",
    ),
    retrieve=extend_schema(summary="Get a member of a list"),
    partial_update=extend_schema(
        summary="Change a member's role",
        description="`editor` or `viewer`. The owner's (to hand over the list "
        "itself: POST lists/{id}/transfer).",
        request=MemberRoleSerializer,
        responses={200: MemberSerializer, **problems(409)},
    ),
    destroy=extend_schema(
        summary="Remove a member, or leave",
        description="The owner removes a member; a member removes themself "
        "(leaves). They lose access at once and their assignments in the list "
        "are cleared. The owner cannot leave (409): delete the list or "
        "transfer it first.",
        responses={204: None, **problems(409)},
    ),
)
class MemberViewSet(
    OfList,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MemberSerializer
    pagination_class = None  # at most MAX_MEMBERS
    lookup_url_kwarg = "user_id"
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def write_scope(self, request):
        # Leaving is one's own business; managing others is sharing.
        if self.request.method == "DELETE" and self._leaving:
            return ApiToken.Scope.WRITE
        return ApiToken.Scope.SHARE

    @property
    def _leaving(self):
        return str(self.kwargs.get("user_id")) == str(self.request.user.pk)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Membership.objects.none()
        return (
            Membership.objects.filter(list_id=self.membership.list_id)
            .select_related("user", "list")
            .order_by("joined_at", "pk")
        )

    def get_object(self):
        return _one(self.get_queryset(), "member", "user_id", self.kwargs["user_id"])

    def partial_update(self, request, *args, **kwargs):
        todo_list = self.require_owner()
        change = MemberRoleSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        with ledger.writing(todo_list.owner_id, changes=0) as book:
            member = self.get_object()
            sharing.set_role(book, member, change.validated_data["role"])
        return Response(MemberSerializer(member).data)

    def destroy(self, request, *args, **kwargs):
        if not self._leaving:
            self.require_owner()
        with ledger.writing(self.membership.list.owner_id, changes=0) as book:
            sharing.remove(book, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
