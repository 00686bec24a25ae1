"""Users as todos and lists name them: `{"id", "email", "name"}`."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class UserRefSerializer(serializers.Serializer):
    """Who: a user as other members of a list see them."""

    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()


def user_ref(user):
    return {"id": user.pk, "email": user.email, "name": user.name}


class PeopleOf:
    """
    The users that todos name (assignees, creators) as user_ref()s: the
    caller from the request, the others in one query, and none at all when,
    as in one's own lists, every one of them is the caller.
    """

    def __init__(self, request, user_ids):
        caller = request.user if request is not None else None
        self.refs = {}
        if caller is not None and caller.is_authenticated:
            self.refs[caller.pk] = user_ref(caller)
        wanted = {pk for pk in user_ids if pk is not None and pk not in self.refs}
        if wanted:
            from django.contrib.auth import get_user_model

            found = get_user_model().objects.filter(pk__in=wanted)
            self.refs.update(
                {user.pk: user_ref(user) for user in found.only("id", "email", "name")}
            )

    @classmethod
    def of_todos(cls, request, todos):
        ids = [
            pk
            for fields in (todo.__dict__ for todo in todos)
            for pk in (fields["assignee_id"], fields["created_by_id"])
        ]
        return cls(request, ids)

    def __getitem__(self, user_id):
        # A deleted account's id renders as null (Todo.assignee has no key).
        return None if user_id is None else self.refs.get(user_id)


@extend_schema_field(UserRefSerializer(allow_null=True))
class UserRefField(serializers.Field):
    """A user the todo names, rendered as user_ref() (null if none or gone)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance):
        return getattr(instance, f"{self.source}_id")

    def to_representation(self, user_id):
        return PeopleOf(self.context.get("request"), [user_id])[user_id]
