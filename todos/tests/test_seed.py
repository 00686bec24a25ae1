import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils.timezone import now

from todos.ledger import TodoTag
from todos.models import Todo
from todos.reminders import Reminder

pytestmark = pytest.mark.django_db

User = get_user_model()
FIFTEEN_MINUTES = dt.timedelta(minutes=15)


def seed(*args):
    from io import StringIO

    out = StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


def test_seed_creates_demo_account_and_prints_its_password(api_client):
    output = seed("--seed", "1")

    demo = User.objects.get(email="demo@example.com")
    password = output.split("Demo account: demo@example.com / ")[1].split()[0]
    assert demo.check_password(password)
    assert Todo.objects.filter(owner=demo).count() == 25
    response = api_client.post(
        "/api/v1/auth/signin", {"email": "demo@example.com", "password": password}
    )
    assert response.status_code == 200


def test_seed_twice_does_not_duplicate(api_client):
    seed("--users", "3", "--todos", "4")
    second = seed("--users", "3", "--todos", "4")

    assert User.objects.filter(email="demo@example.com").count() == 1
    assert User.objects.count() == 4
    assert Todo.objects.count() == 25 + 3 * 4
    assert "3 existed already" in second


def test_seed_data_is_varied_and_indexed(auth_client):
    seed("--users", "2", "--todos", "120", "--seed", "7")

    todos = Todo.objects.all()
    assert {todo.priority for todo in todos} == set(Todo.Priority)
    assert any(todo.completed for todo in todos) and not all(
        todo.completed for todo in todos
    )
    assert any(todo.due_date is None for todo in todos)
    timed = [todo for todo in todos if todo.due_time is not None]
    assert timed and all(todo.due_at is not None for todo in timed)
    assert {todo.due_timezone for todo in timed} == {None, "Europe/Paris"}
    recurring = [todo for todo in todos if todo.recurrence]
    assert recurring and all(todo.recurrence_start for todo in recurring)
    reminded = [todo for todo in todos if todo.reminders]
    assert reminded and all(not todo.completed for todo in reminded)
    armed = Reminder.objects.filter(todo__in=reminded).count()
    assert armed == sum(todo.due_at > now() + FIFTEEN_MINUTES for todo in reminded)
    assert all((todo.completed_at is not None) == todo.completed for todo in todos)
    assert TodoTag.objects.count() == sum(len(todo.tags) for todo in todos)


def test_seed_rejects_negative_counts():
    with pytest.raises(CommandError):
        seed("--users", "-1")


def test_seed_if_empty_does_nothing_once_accounts_exist(user):
    output = seed("--if-empty")

    assert "nothing seeded" in output
    assert not User.objects.filter(email="demo@example.com").exists()


def test_seed_if_empty_seeds_an_empty_database():
    seed("--if-empty")

    assert User.objects.filter(email="demo@example.com").exists()


def test_seed_if_empty_tells_how_to_sign_in_on_every_run(api_client):
    first = seed("--if-empty")
    again = seed("--if-empty")

    password = first.split("Demo account: demo@example.com / ")[1].split()[0]
    assert f"Demo account: demo@example.com / {password}" in again
    assert "nothing seeded" in again
    response = api_client.post(
        "/api/v1/auth/signin", {"email": "demo@example.com", "password": password}
    )
    assert response.status_code == 200


def test_seed_says_when_the_demo_password_was_changed():
    seed("--if-empty")
    demo = User.objects.get(email="demo@example.com")
    demo.set_password("changed by its user")
    demo.save()

    output = seed("--if-empty")

    assert "changepassword demo@example.com" in output
    assert "changed by its user" not in output


def test_seed_of_no_extra_users_does_not_report_them():
    output = seed()

    assert "extra users" not in output
    assert "Created 0 of 0" not in output
