from django.contrib import admin

from todos.ledger import TodoTag
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
    # A raw id box, not a <select> of every user.
    raw_id_fields = ("owner",)
    readonly_fields = ("completed_at", "created_at", "updated_at")
    fields = (
        "owner",
        "title",
        "description",
        "priority",
        "due_date",
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
        # A todo's tag index, change feed and stats belong to its owner.
        if obj is not None:
            return (*self.readonly_fields, "owner")
        return self.readonly_fields

    @admin.display(description="tags")
    def tag_list(self, todo):
        return ", ".join(todo.tags)
