from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from todos import ledger
from todos.ledger import TodoStat, TodoTag
from todos.lists import Invitation, Membership, TodoList
from todos.models import Todo


class InputFilter(admin.SimpleListFilter):
    """
    A sidebar filter typed into a box: owners and tags are too many to list
    as links, so the operator types the one wanted.
    """

    template = "admin/input_filter.html"

    def lookups(self, request, model_admin):
        # Not empty, or the admin does not show the filter at all.
        return ((),)

    def choices(self, changelist):
        # One "choice": the query string without this filter, for the form's
        # hidden fields and the "All" link.
        without = changelist.get_query_string(remove=[self.parameter_name])
        yield {
            "query_string": without,
            "query_parts": [
                (key, value)
                for key, value in changelist.params.items()
                if key != self.parameter_name
            ],
        }


class OwnerFilter(InputFilter):
    title = "owner email"
    parameter_name = "owner_email"

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(owner__email__iexact=self.value().strip())
        return queryset


class TagFilter(InputFilter):
    title = "tag"
    parameter_name = "tag"

    def queryset(self, request, queryset):
        if self.value():
            tagged = TodoTag.objects.filter(name=self.value().strip().lower())
            return queryset.filter(pk__in=tagged.values("todo"))
        return queryset


@admin.register(Todo)
class TodoAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "owner",
        "priority",
        "due_date",
        "completed",
        "tag_list",
        "created_at",
    )
    # One joined query for the page: no query per row.
    list_select_related = ("owner",)
    list_filter = (OwnerFilter, TagFilter, "completed", "priority", "due_date")
    search_fields = ("title", "owner__email")
    # A raw id box, not a <select> of every user (or list, or todo).
    raw_id_fields = ("owner", "list", "parent")
    readonly_fields = (
        "position",
        "armed",
        "due_at",
        "last_completed_at",
        "completed_at",
        "created_at",
        "updated_at",
    )
    fields = (
        "owner",
        "list",
        "parent",
        "position",
        "title",
        "description",
        "priority",
        "due_date",
        "due_time",
        "due_timezone",
        "due_at",
        "recurrence",
        "recurrence_basis",
        "last_completed_at",
        "reminders",
        "armed",
        "completed",
        "tags",
        "completed_at",
        "created_at",
        "updated_at",
    )

    class Media:
        css = {"all": ["todos/admin.css"]}

    # Skip the unfiltered COUNT(*) of the whole table on every page.
    show_full_result_count = False
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        # A todo's tag index, change feed and stats belong to its owner; its
        # place moves through the API, which moves its subtasks along.
        if obj is not None:
            return (*self.readonly_fields, "owner", "list", "parent")
        return self.readonly_fields

    @admin.display(description="tags")
    def tag_list(self, todo):
        return ", ".join(todo.tags)

    @admin.display(description="armed reminders")
    def armed(self, todo):
        """When each reminder still to fire will (one query, on this page only)."""
        rows = todo.armed_reminders.order_by("fires_at") if todo.pk else []
        fired = [f"{row.fires_at:%Y-%m-%d %H:%M:%S} UTC" for row in rows]
        return ", ".join(fired) or "none"


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("user", "role", "position", "joined_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # members join through the API's invitations

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class InvitationInline(admin.TabularInline):
    """A list's invitations waiting for an answer; revoking one deletes it."""

    model = Invitation
    fields = ("email", "role", "invited_by", "created_at", "expires_at")
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "pending invitations"

    def has_add_permission(self, request, obj=None):
        return False  # invitations are mailed through the API

    def get_queryset(self, request):
        return Invitation.objects.pending().select_related("invited_by")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "list", "list_owner", "role", "created_at", "expires_at")
    list_select_related = ("list__owner",)
    search_fields = ("email", "list__name", "list__owner__email")
    list_filter = ("role",)
    fields = ("list", "email", "role", "invited_by", "created_at", "expires_at")
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # invitations are mailed through the API

    @admin.display(description="owner", ordering="list__owner__email")
    def list_owner(self, invitation):
        return invitation.list.owner


@admin.register(TodoList)
class TodoListAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "owner",
        "member_count",
        "todo_count",
        "is_default",
        "archived",
        "created_at",
    )
    list_select_related = ("owner",)
    list_filter = (OwnerFilter, "archived", "is_default")
    search_fields = ("name", "owner__email")
    raw_id_fields = ("owner",)
    fields = ("owner", "name", "color", "archived", "is_default", "created_at")
    readonly_fields = ("is_default", "created_at")
    inlines = (MembershipInline, InvitationInline)
    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request):
        # The counts as subqueries of the page's one query: none per row.
        members = Membership.objects.filter(list=OuterRef("pk")).values("list")
        todos = TodoStat.objects.filter(
            owner=OuterRef("owner"), list=OuterRef("pk"), dimension="priority"
        ).values("list")
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_members=Subquery(members.annotate(n=Count("pk")).values("n")),
                n_todos=Coalesce(Subquery(todos.annotate(n=Sum("n")).values("n")), 0),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return (*self.readonly_fields, "owner")
        return self.readonly_fields

    @admin.display(description="members", ordering="n_members")
    def member_count(self, todo_list):
        return todo_list.n_members

    @admin.display(description="todos", ordering="n_todos")
    def todo_count(self, todo_list):
        return todo_list.n_todos

    # Writes go through the owner's ledger book, as the API's do: the
    # change feed and the counts follow.

    def save_model(self, request, obj, form, change):
        with ledger.writing(obj.owner_id) as book:
            if change:
                book.save_list(obj)
            else:
                book.create_list(obj)

    def delete_model(self, request, obj):
        with ledger.writing(obj.owner_id) as book:
            book.delete_list(obj)

    def delete_queryset(self, request, queryset):
        for todo_list in queryset.filter(is_default=False):
            self.delete_model(request, todo_list)

    def get_deleted_objects(self, objs, request):
        # Their todos hold the lists by a RESTRICT key so that nothing deletes
        # them behind the ledger; delete_model() deletes them through it.
        deleted, counts, perms_needed, _ = super().get_deleted_objects(objs, request)
        todos = Todo.objects.filter(list__in=objs).count()
        return (
            deleted,
            {**counts, Todo._meta.verbose_name_plural: todos},
            perms_needed,
            [],
        )

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_default:
            return False  # every account keeps its default list
        return super().has_delete_permission(request, obj)
