"""Users as todos and lists name them: `{"id", "email", "name"}`."""

import functools

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.compiled import Plan


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
            self.refs.update(
                (pk, {"id": pk, "email": email, "name": name})
                for pk, email, name in _refs_of(sorted(wanted))
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


def _refs_of(ids):
    """
    (id, email, name) of the users `ids`, by a query compiled once per size
    of IN list (api.compiled): the ORM took ~700 Python calls building it on
    every page of a shared list. The list is padded to the next power of
    two by repeating an id, so the sizes of the largest page (100 todos, 200
    people) take nine plans.
    """
    from django.contrib.auth import get_user_model

    size = 1 << (len(ids) - 1).bit_length()
    plan = _refs_plan(get_user_model().objects.db, size)
    return plan.fetch(*ids, *[ids[0]] * (size - len(ids)))


@functools.cache
def _refs_plan(alias, size):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.using(alias)
    users = users.filter(pk__in=[Plan.arg(n) for n in range(size)])
    return Plan(users.order_by().values_list("id", "email", "name"))


@extend_schema_field(UserRefSerializer(allow_null=True))
class UserRefField(serializers.Field):
    """A user the todo names, rendered as user_ref() (null if none or gone)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance):
        return getattr(instance, f"{self.source}_id")

    def to_representation(self, user_id):
        return PeopleOf(self.context.get("request"), [user_id])[user_id]
