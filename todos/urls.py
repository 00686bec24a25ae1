from django.urls import path
from rest_framework.routers import SimpleRouter

from todos.list_views import TodoListViewSet
from todos.reminder_views import UpcomingReminders
from todos.sharing_views import InvitationViewSet, ListInvitationViewSet, MemberViewSet
from todos.views import TodoViewSet

router = SimpleRouter(trailing_slash=False)
router.register("todos", TodoViewSet, basename="todo")
router.register("lists", TodoListViewSet, basename="list")
router.register("invitations", InvitationViewSet, basename="invitation")

# Under a list: its invitations and its members.
list_invitations = ListInvitationViewSet.as_view
members = MemberViewSet.as_view

urlpatterns = [
    *router.urls,
    path("reminders/upcoming", UpcomingReminders.as_view(), name="reminder-upcoming"),
    path(
        "lists/<str:list_pk>/invitations",
        list_invitations({"get": "list", "post": "create"}),
        name="list-invitation-list",
    ),
    path(
        "lists/<str:list_pk>/invitations/<str:pk>",
        list_invitations({"get": "retrieve", "delete": "destroy"}),
        name="list-invitation-detail",
    ),
    path(
        "lists/<str:list_pk>/members",
        members({"get": "list"}),
        name="list-member-list",
    ),
    path(
        "lists/<str:list_pk>/members/<str:user_id>",
        members({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="list-member-detail",
    ),
]
