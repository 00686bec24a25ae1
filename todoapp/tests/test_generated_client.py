"""
A Python client generated from the live /api/schema/ by openapi-python-client
(default settings) runs a real flow against a production-mode gunicorn: what
the schema says is what the server does, or this code fails to parse it.
"""

import datetime as dt
import importlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from testing import PASSWORD
from testing.servers import LiveServer, scratch_database

pytestmark = pytest.mark.live

PACKAGE = "todoapp_client"


@pytest.fixture(scope="module")
def server():
    with scratch_database() as database_url:
        with LiveServer(env={"DATABASE_URL": database_url}, workers=2) as live:
            yield live


@pytest.fixture(scope="module")
def generated(server, tmp_path_factory):
    """The client package, generated from the served schema and imported."""
    folder = tmp_path_factory.mktemp("generated")
    bin_dir = str(Path(sys.executable).parent)
    subprocess.run(
        [
            str(Path(bin_dir) / "openapi-python-client"),
            "generate",
            "--url",
            f"{server.url}/api/schema/?format=json",
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
        ],
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"},
        check=True,
        capture_output=True,
        timeout=300,
    )
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]


def module(name):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_generated_client_runs_a_full_flow(server, generated):
    models = module("models")
    auth = importlib.import_module(f"{PACKAGE}.api.auth")
    todos = importlib.import_module(f"{PACKAGE}.api.todos")
    for name in (
        "auth_signup_create",
        "auth_signin_create",
        "auth_sessions_list",
        "auth_tokens_create",
        "auth_signout_all_create",
    ):
        importlib.import_module(f"{auth.__name__}.{name}")
    for name in (
        "todos_create",
        "todos_partial_update",
        "todos_list",
        "todos_stats_retrieve",
        "todos_bulk_create",
        "todos_changes_retrieve",
        "todos_retrieve",
        "todos_destroy",
    ):
        importlib.import_module(f"{todos.__name__}.{name}")
    email = f"gen-{uuid.uuid4().hex[:8]}@example.com"

    # Sign up, then sign in twice through one cookie-keeping client.
    anonymous = generated.Client(base_url=server.url)
    signed_up = auth.auth_signup_create.sync(
        client=anonymous, body=models.SignupRequest(email=email, password=PASSWORD)
    )
    assert isinstance(signed_up, models.SessionToken)
    signin = models.SigninRequest(email=email, password=PASSWORD)
    first = auth.auth_signin_create.sync(client=anonymous, body=signin)
    second = auth.auth_signin_create.sync(client=anonymous, body=signin)
    me = generated.AuthenticatedClient(base_url=server.url, token=first.token)
    sessions = auth.auth_sessions_list.sync(
        client=generated.AuthenticatedClient(base_url=server.url, token=second.token)
    )
    assert {first.token, second.token} and len(sessions) == 3

    # Create, then rename with PATCH: nothing else may change.
    created = todos.todos_create.sync_detailed(
        client=me,
        body=models.TodoRequest(
            title="Write the report",
            priority=models.PriorityEnum.HIGH,
            completed=True,
            due_date=dt.date(2030, 1, 31),
            tags=["work"],
        ),
    )
    assert created.status_code == 201
    todo = created.parsed
    assert created.headers["Location"].endswith(f"/api/v1/todos/{todo.id}")
    renamed = todos.todos_partial_update.sync(
        client=me, id=todo.id, body=models.PatchedTodoRequest(title="Renamed")
    )
    assert (renamed.title, renamed.completed, renamed.priority) == (
        "Renamed",
        True,
        models.PriorityEnum.HIGH,
    )
    assert renamed.tags == ["work"] and renamed.due_date == dt.date(2030, 1, 31)

    # Two more, to order by two keys.
    for title, priority, due in (
        ("b", models.PriorityEnum.LOW, dt.date(2030, 1, 1)),
        ("c", models.PriorityEnum.LOW, dt.date(2030, 6, 1)),
    ):
        todos.todos_create.sync(
            client=me,
            body=models.TodoRequest(title=title, priority=priority, due_date=due),
        )
    ordering = module("models.todos_list_ordering_item").TodosListOrderingItem
    page = todos.todos_list.sync(
        client=me, ordering=[ordering("priority"), ordering("-due_date")]
    )
    assert [item.title for item in page.results] == ["c", "b", "Renamed"]
    assert page.count == 3 and page.next_ is None and page.previous is None

    # Stats take the list's filters.
    stats = todos.todos_stats_retrieve.sync(client=me, completed=True)
    assert (stats.total, stats.completed) == (1, 1)

    # Bulk: one of each operation, answered as the union's variants.
    bulk = todos.todos_bulk_create.sync(
        client=me,
        body=models.BulkRequestRequest(
            operations=[
                models.BulkCreateRequest(
                    op=models.OpCreateEnum.CREATE,
                    data=models.TodoRequest(title="from bulk"),
                ),
                models.BulkUpdateRequest(
                    op=models.OpUpdateEnum.UPDATE,
                    id=todo.id,
                    data=models.PatchedTodoRequest(completed=False),
                ),
                models.BulkDeleteRequest(op=models.OpDeleteEnum.DELETE, id=10**12),
            ]
        ),
    )
    saved, updated, failed = bulk.results
    assert isinstance(saved, models.BulkSaved) and saved.todo.title == "from bulk"
    assert isinstance(updated, models.BulkSaved) and updated.todo.completed is False
    assert updated.todo.priority == models.PriorityEnum.HIGH
    assert isinstance(failed, models.BulkFailed) and failed.error.status == 404

    # The feed, then a deletion in it.
    feed = todos.todos_changes_retrieve.sync(client=me)
    kinds = {type(change) for change in feed.changes}
    assert kinds == {models.ListChangeUpsert, models.ChangeUpsert}
    assert todos.todos_destroy.sync_detailed(client=me, id=todo.id).status_code == 204
    later = todos.todos_changes_retrieve.sync(client=me, cursor=feed.cursor)
    deletion, inbox = later.changes
    assert isinstance(deletion, models.ChangeDelete) and deletion.id == todo.id
    assert isinstance(inbox, models.ListChangeUpsert) and inbox.list_.is_default
    gone = todos.todos_retrieve.sync_detailed(client=me, id=todo.id)
    assert gone.status_code == 404 and gone.parsed.status == 404

    # An API token, typed scopes, ended by signout-all with include_tokens.
    issued = auth.auth_tokens_create.sync(
        client=me,
        body=models.ApiTokenCreateRequest(
            name="script", scopes=[models.ScopesEnum.TODOSREAD]
        ),
    )
    assert issued.scopes == [models.ScopesEnum.TODOSREAD]
    script = generated.AuthenticatedClient(base_url=server.url, token=issued.token)
    assert todos.todos_list.sync_detailed(client=script).status_code == 200
    ended = auth.auth_signout_all_create.sync_detailed(
        client=me, body=models.SignoutAllRequest(include_tokens=True)
    )
    assert ended.status_code == 204
    assert todos.todos_list.sync_detailed(client=script).status_code == 401


TYPESCRIPT = Path(__file__).with_name("typescript")


def test_typescript_types_generated_from_the_schema_fit_a_client_flow(server, tmp_path):
    """
    openapi-typescript (default settings) on the live schema, then `tsc
    --strict` on todoapp/tests/typescript/flow.ts: create with a title only,
    PATCH one field, every sent key readable, unions narrowed by their tag.
    """
    work = tmp_path / "typescript"
    shutil.copytree(TYPESCRIPT, work)
    npm = {"cwd": work, "check": True, "capture_output": True, "timeout": 600}
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], **npm)
    subprocess.run(
        [
            "node_modules/.bin/openapi-typescript",
            f"{server.url}/api/schema/?format=json",
            "-o",
            "api.d.ts",
        ],
        **npm,
    )
    checked = subprocess.run(
        ["node_modules/.bin/tsc", "-p", "."],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
