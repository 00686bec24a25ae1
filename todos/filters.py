import datetime as dt
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from api.filtersets import CopiedShallow, FormBuiltOnce
from todos.models import Todo
from todos.serializers import TAG_SCHEMA
from todos.tags import MAX_TAGS, normalise_tags


class MultiValueWidget(forms.Widget):
    """Reads `?x=a&x=b` and `?x=a,b` (and mixes) as one list of values."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [part.strip() for value in values if value for part in value.split(",")]


class PriorityListField(forms.Field):
    widget = MultiValueWidget

    def to_python(self, value):
        ranks = []
        for name in filter(None, value or []):
            try:
                ranks.append(Todo.Priority[name.upper()])
            except KeyError:
                raise ValidationError(
                    "Unknown priority %(name)r: use low, medium or high.",
                    code="invalid_choice",
                    params={"name": name},
                ) from None
        return ranks


class TagListField(forms.Field):
    """Tags to filter by, held to the same rules as the tags stored."""

    widget = MultiValueWidget

    def to_python(self, value):
        return normalise_tags([tag for tag in value or [] if tag])


class QueryBooleanField(forms.Field):
    """`true`/`false` (or `1`/`0`); anything else is an error, not 'no filter'."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        normalised = value.strip().lower()
        if normalised in ("true", "1"):
            return True
        if normalised in ("false", "0"):
            return False
        raise ValidationError("Must be true or false.", code="invalid")


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanFilter(CopiedShallow, django_filters.Filter):
    field_class = QueryBooleanField


@extend_schema_field(
    {"type": "array", "items": {"type": "string", "enum": Todo.Priority.labels}}
)
class PriorityFilter(CopiedShallow, django_filters.Filter):
    field_class = PriorityListField


@extend_schema_field({"type": "array", "items": TAG_SCHEMA, "maxItems": MAX_TAGS})
class TagFilter(CopiedShallow, django_filters.Filter):
    field_class = TagListField


# Ids in a query parameter: ASCII digits (not "²"), of a size ids have,
# from 1 as the schema says.
_ID = re.compile(r"[1-9][0-9]{0,17}")
MAX_IDS = 100


class IdListField(forms.Field):
    """One or more ids (`list=3&list=5` or `list=3,5`)."""

    widget = MultiValueWidget

    def to_python(self, value):
        ids = [part for part in value or [] if part]
        if len(ids) > MAX_IDS:
            raise ValidationError(
                "At most %(n)d ids.", code="max_length", params={"n": MAX_IDS}
            )
        for part in ids:
            if not _ID.fullmatch(part):
                raise ValidationError(
                    "%(value)r is not an id.", code="invalid", params={"value": part}
                )
        return [int(part) for part in ids]


@extend_schema_field(
    {"type": "array", "items": {"type": "integer", "minimum": 1}, "maxItems": MAX_IDS}
)
class IdListFilter(CopiedShallow, django_filters.Filter):
    field_class = IdListField


class IdOrWordField(forms.Field):
    """An id, or one of the field's words (`none`, `me`)."""

    def __init__(self, *, words=(), **kwargs):
        self.words = words
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in (None, ""):
            return None
        value = value.strip()
        if value in self.words or _ID.fullmatch(value):
            return value if value in self.words else int(value)
        choices = " or ".join(("an id", *self.words))
        raise ValidationError(
            "Must be %(choices)s.", code="invalid", params={"choices": choices}
        )


class IdOrWordFilter(CopiedShallow, django_filters.Filter):
    field_class = IdOrWordField
    words = ()

    def __init__(self, **kwargs):
        super().__init__(words=self.words, **kwargs)


def _id_or(*words):
    return {
        "oneOf": [
            {"type": "integer", "minimum": 1},
            {"type": "string", "enum": list(words)},
        ]
    }


@extend_schema_field(_id_or("none"))
class ParentFilter(IdOrWordFilter):
    words = ("none",)


@extend_schema_field(_id_or("me", "none"))
class AssigneeFilter(IdOrWordFilter):
    words = ("me", "none")


ORDERING_FIELDS = (
    "created_at",
    "updated_at",
    "due_date",
    "priority",
    "title",
    "position",
)
ORDERING_CHOICES = [f"{sign}{name}" for name in ORDERING_FIELDS for sign in ("", "-")]


class OrderingListField(forms.Field):
    """Ordering keys, most significant first, each optionally `-`-prefixed."""

    widget = MultiValueWidget

    def to_python(self, value):
        keys = [key for key in value or [] if key]
        if len(keys) > len(ORDERING_FIELDS):
            raise ValidationError(
                "At most %(n)d ordering keys.",
                code="max_length",
                params={"n": len(ORDERING_FIELDS)},
            )
        for key in keys:
            if key not in ORDERING_CHOICES:
                raise ValidationError(
                    "Unknown ordering %(key)r: use one of %(choices)s.",
                    code="invalid_choice",
                    params={"key": key, "choices": ", ".join(ORDERING_CHOICES)},
                )
        return keys


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": ORDERING_CHOICES},
        "maxItems": len(ORDERING_FIELDS),
    }
)
class TodoOrderingFilter(CopiedShallow, django_filters.Filter):
    """
    Orders by the given keys (`ordering=priority&ordering=-due_date`, or the
    same comma-separated), then by the default order (newest first, ties by
    id) so pages stay stable. Priority is stored as its rank, so it sorts
    low < medium < high; todos without a due date come last either way.

    Not django-filter's OrderingFilter: that one reads only the last of
    repeated parameters, which is the form generated clients send.
    """

    field_class = OrderingListField

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = []
        for param in value:
            name = param.lstrip("-")
            # NULLS LAST only where NULLs exist: on a NOT NULL column it would
            # keep PostgreSQL from walking a plain index backwards.
            nulls_last = True if name == "due_date" else None
            field = F(name)
            descending = param.startswith("-")
            ordering.append(
                field.desc(nulls_last=nulls_last)
                if descending
                else field.asc(nulls_last=nulls_last)
            )
            if name == "due_date":
                # On one date: all-day todos (no instant) first, then the
                # timed ones by instant; the other way round descending.
                due_at = F("due_at")
                ordering.append(
                    due_at.desc(nulls_last=True)
                    if descending
                    else due_at.asc(nulls_first=True)
                )
        if "position" in {param.lstrip("-") for param in value}:
            # Siblings' positions differ: the id only breaks ties (rare ones,
            # across lists), so that the siblings index serves the order.
            return qs.order_by(*ordering, F("id").asc())
        return qs.order_by(*ordering, F("created_at").desc(), F("id").desc())


MAX_SEARCH_LENGTH = 200


@extend_schema_field({"type": "string", "maxLength": MAX_SEARCH_LENGTH})
class SearchFilter(CopiedShallow, django_filters.CharFilter):
    """Text to look for (its length bounds the work of one search)."""


ISO_DATE = ["%Y-%m-%d"]


class DateFilter(CopiedShallow, django_filters.DateFilter):
    """django-filter's, copied shallowly per request (api.filtersets)."""


class TodoFilter(FormBuiltOnce, django_filters.FilterSet):
    completed = BooleanFilter(
        field_name="completed", help_text="Completed (true) or not."
    )
    recurring = BooleanFilter(
        field_name="recurrence",
        lookup_expr="isnull",
        exclude=True,
        help_text="With a recurrence rule (true) or without.",
    )
    priority = PriorityFilter(
        method="filter_priority",
        help_text="One or more priorities: `priority=high&priority=low` "
        "or `priority=high,low`.",
    )
    tag = TagFilter(
        method="filter_tag",
        help_text="One or more tags; a todo must carry all of them "
        "(`tag=a&tag=b` or `tag=a,b`).",
    )
    due_after = DateFilter(
        field_name="due_date",
        lookup_expr="gte",
        input_formats=ISO_DATE,
        help_text="Due on or after this date (YYYY-MM-DD).",
    )
    due_before = DateFilter(
        field_name="due_date",
        lookup_expr="lte",
        input_formats=ISO_DATE,
        help_text="Due on or before this date (YYYY-MM-DD).",
    )
    overdue = BooleanFilter(
        method="filter_overdue",
        help_text="Not completed and past due: a timed todo once its `due_at` "
        "is past, an all-day one once its date is before today in the user's "
        "time zone (true), "
        "or every other todo (false).",
    )
    list = IdListFilter(
        field_name="list_id",
        lookup_expr="in",
        help_text="One or more lists (`list=3&list=5` or `list=3,5`); without "
        "it, every list the caller can see that is not archived.",
    )
    parent = ParentFilter(
        method="filter_parent",
        help_text="The direct subtasks of this todo, or `none`: top-level todos only.",
    )
    assignee = AssigneeFilter(
        method="filter_assignee",
        help_text="Assigned to this user, to the caller (`me`), or to nobody (`none`).",
    )
    search = SearchFilter(
        method="filter_search",
        max_length=MAX_SEARCH_LENGTH,
        help_text="Case-insensitive text in the title or description.",
    )
    ordering = TodoOrderingFilter(
        help_text="Sort keys, most significant first, each optionally prefixed "
        "with `-` for descending: `ordering=priority&ordering=-due_date` (or "
        "`ordering=priority,-due_date`).",
    )

    class Meta:
        model = Todo
        fields = ()

    def filter_priority(self, queryset, name, value):
        return queryset.filter(priority__in=value)

    def filter_tag(self, queryset, name, value):
        return queryset.tagged_with_all(value)

    def filter_overdue(self, queryset, name, value):
        today = self.request.user.today()
        return queryset.overdue(today) if value else queryset.not_overdue(today)

    def filter_parent(self, queryset, name, value):
        if value == "none":
            return queryset.filter(parent__isnull=True)
        return queryset.filter(parent_id=value)

    def filter_assignee(self, queryset, name, value):
        if value == "none":
            return queryset.filter(assignee_id__isnull=True)
        return queryset.filter(
            assignee_id=self.request.user.pk if value == "me" else value
        )

    def filter_search(self, queryset, name, value):
        return queryset.search(value)


class InstantField(forms.Field):
    """
    An RFC 3339 instant, as UTC: what every database compares alike (an
    offset PostgreSQL cannot hold, or an instant past year 9999 in UTC, is
    a 400, not an error of the database).
    """

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            # RFC 3339 allows "t" and "z" too.
            text = value.strip().upper() if isinstance(value, str) else None
            parsed = parse_datetime(text) if text else None
        except ValueError:  # a month 13, an hour 25
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise ValidationError(
                "Must be an RFC 3339 instant with its offset, such as "
                "2026-12-01T08:00:00Z.",
                code="invalid",
            )
        try:
            return parsed.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise ValidationError("Out of range.", code="invalid") from None


@extend_schema_field(OpenApiTypes.DATETIME)
class InstantFilter(CopiedShallow, django_filters.Filter):
    field_class = InstantField


class CompletionFilter(FormBuiltOnce, django_filters.FilterSet):
    """GET todos/completions: a span of time, and lists."""

    since = InstantFilter(
        field_name="completed_at",
        lookup_expr="gte",
        help_text="Completions at or after this instant (RFC 3339).",
    )
    until = InstantFilter(
        field_name="completed_at",
        lookup_expr="lt",
        help_text="Completions before this instant (RFC 3339).",
    )
    list = IdListFilter(
        field_name="list_id",
        lookup_expr="in",
        help_text="One or more lists the todos were in when done.",
    )
