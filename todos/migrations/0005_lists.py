"""
Lists: every user gets their Inbox, and their todos move into it in the
order they were created (positions as fractional keys, todos.ordering).
Set-based SQL, so a million todos migrate in seconds.
"""

import django.db.models.deletion
import django.utils.timezone
import todos.ordering
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

BASE_62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def key_of(number):
    """
    SQL for the fractional key of integer `number` (a SQL expression, below
    62**4): "d" and four base-62 digits, the shape fractional-indexing gives
    integers of that size, so keys made later fit between them.
    """
    digits = [
        f"substr(CAST('{BASE_62}' AS TEXT), CAST((({number}) / {62**k}) %% 62 + 1 AS INTEGER), 1)"
        for k in (3, 2, 1, 0)
    ]
    return "'d' || " + " || ".join(digits)


def move_todos_into_inboxes(apps, schema_editor):
    quote = schema_editor.connection.ops.quote_name
    user = quote(apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table)
    lists = quote(apps.get_model("todos", "TodoList")._meta.db_table)
    members = quote(apps.get_model("todos", "Membership")._meta.db_table)
    todos = quote(apps.get_model("todos", "Todo")._meta.db_table)
    stats = quote(apps.get_model("todos", "TodoStat")._meta.db_table)
    graves = quote(apps.get_model("todos", "Tombstone")._meta.db_table)
    states = quote(apps.get_model("todos", "SyncState")._meta.db_table)

    def inbox_of(table):
        return (
            f"(SELECT l.id FROM {lists} l WHERE l.owner_id = {table}.owner_id"
            f" AND l.is_default = %s)"
        )

    now = timezone.now()
    statements = [
        (
            f"INSERT INTO {lists} (owner_id, name, color, is_default, archived,"
            f" created_at, updated_at, seq)"
            f" SELECT id, 'Inbox', NULL, %s, %s, %s, %s, 0 FROM {user}",
            [True, False, now, now],
        ),
        (
            f"INSERT INTO {members} (list_id, user_id, role, position, joined_at,"
            f" seq) SELECT id, owner_id, 'owner', 'a0', %s, 0 FROM {lists}",
            [now],
        ),
        (
            f"UPDATE {todos} SET created_by_id = owner_id, list_id = "
            f"{inbox_of(todos)}",
            [True],
        ),
        (
            f"UPDATE {todos} SET position = numbered.key FROM ("
            f"SELECT id, {key_of('n')} AS key FROM ("
            f"SELECT id, row_number() OVER ("
            f"PARTITION BY list_id ORDER BY created_at, id) AS n FROM {todos}"
            f") ranked) numbered WHERE {todos}.id = numbered.id",
            [],
        ),
        # What was kept per user is now kept per list: the Inbox's.
        (f"UPDATE {stats} SET list_id = {inbox_of(stats)}", [True]),
        (f"UPDATE {graves} SET list_id = {inbox_of(graves)}", [True]),
        (
            f"INSERT INTO {states} (user_id, seq, floor, todos, archived, shared)"
            f" SELECT id, 0, 0, 0, 0, 0 FROM {user} WHERE id NOT IN"
            f" (SELECT user_id FROM {states})",
            [],
        ),
        (
            f"UPDATE {states} SET inbox_id = (SELECT l.id FROM {lists} l"
            f" WHERE l.owner_id = {states}.user_id AND l.is_default = %s)",
            [True],
        ),
        # The Inbox is each user's newest change, so a client syncing from a
        # cursor of before this migration is handed it.
        (
            f"UPDATE {lists} SET seq = (SELECT s.seq + 1 FROM {states} s"
            f" WHERE s.user_id = {lists}.owner_id)",
            [],
        ),
        (f"UPDATE {states} SET seq = seq + 1", []),
    ]
    with schema_editor.connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
        if schema_editor.connection.vendor == "postgresql":
            # The ALTER TABLE that follows refuses pending foreign-key checks.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")




class Migration(migrations.Migration):

    dependencies = [
        ('todos', '0004_todo_totals'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Membership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('owner', 'Owner'), ('editor', 'Editor'), ('viewer', 'Viewer')], max_length=8)),
                ('position', todos.ordering.PositionField(default='', editable=False, max_length=128)),
                ('joined_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('seq', models.BigIntegerField(default=0, editable=False)),
            ],
        ),
        migrations.CreateModel(
            name='TodoList',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200)),
                ('color', models.CharField(blank=True, max_length=7, null=True)),
                ('is_default', models.BooleanField(default=False, editable=False)),
                ('archived', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('seq', models.BigIntegerField(default=0, editable=False)),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='todostat',
            name='todostat_unique_count',
        ),
        migrations.AddField(
            model_name='syncstate',
            name='archived',
            field=models.IntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='syncstate',
            name='shared',
            field=models.IntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='todo',
            name='assignee_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='todo',
            name='created_by_id',
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='todo',
            name='parent',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='subtasks', to='todos.todo'),
        ),
        migrations.AddField(
            model_name='todo',
            name='position',
            field=todos.ordering.PositionField(default='', editable=False, max_length=128),
        ),
        migrations.AddField(
            model_name='tombstone',
            name='kind',
            field=models.CharField(default='todo', max_length=4),
        ),
        migrations.AddField(
            model_name='tombstone',
            name='list_id',
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name='membership',
            name='user',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='todolist',
            name='owner',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='owned_lists', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='membership',
            name='list',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='todos.todolist'),
        ),
        migrations.AddField(
            model_name='syncstate',
            name='inbox',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='todos.todolist'),
        ),
        migrations.AddField(
            model_name='todo',
            name='list',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.RESTRICT, related_name='todos', to='todos.todolist'),
        ),
        migrations.AddField(
            model_name='todostat',
            name='list',
            field=models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='todos.todolist'),
        ),
        migrations.RunPython(move_todos_into_inboxes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='todo',
            name='list',
            field=models.ForeignKey(blank=True, db_index=False, on_delete=django.db.models.deletion.RESTRICT, related_name='todos', to='todos.todolist'),
        ),
        migrations.AlterField(
            model_name='todostat',
            name='list',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='todos.todolist'),
        ),
        migrations.AddIndex(
            model_name='todo',
            index=models.Index(models.F('list'), models.OrderBy(models.F('created_at'), descending=True), models.OrderBy(models.F('id'), descending=True), name='todo_list_created'),
        ),
        migrations.AddIndex(
            model_name='todo',
            index=models.Index(condition=models.Q(('parent__isnull', True)), fields=['list', 'position', 'id'], name='todo_top_level'),
        ),
        migrations.AddIndex(
            model_name='todo',
            index=models.Index(fields=['parent', 'position', 'id'], name='todo_parent'),
        ),
        migrations.AddConstraint(
            model_name='todostat',
            constraint=models.UniqueConstraint(fields=('owner', 'list', 'dimension', 'value', 'completed'), name='todostat_unique_list_count'),
        ),
        migrations.AddIndex(
            model_name='todolist',
            index=models.Index(fields=['owner', 'seq'], name='todolist_owner_seq'),
        ),
        migrations.AddConstraint(
            model_name='todolist',
            constraint=models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('owner',), name='todolist_one_default_per_owner'),
        ),
        migrations.AddIndex(
            model_name='membership',
            index=models.Index(fields=['user', 'position'], name='membership_user_position'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.UniqueConstraint(fields=('list', 'user'), name='membership_once_per_list'),
        ),
    ]
