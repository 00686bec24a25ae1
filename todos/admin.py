from django.contrib import admin

from todos.models import Todo


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
    list_filter = ("completed", "priority", "due_date")
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
