import base64
import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from tqdm import tqdm

from todos import ledger, recurrence
from todos.models import Todo

DEMO_EMAIL = "demo@example.com"
DEMO_TODOS = 25

TITLES = [
    "Buy groceries",
    "Call the dentist",
    "Renew passport",
    "Pay electricity bill",
    "Write the quarterly report",
    "Book flights",
    "Fix the leaking tap",
    "Plan the team offsite",
    "Read a chapter",
    "Go for a run",
    "Review pull requests",
    "Water the plants",
    "Prepare the slides",
    "Back up the laptop",
    "Send the invoice",
    "Clean the garage",
]
DESCRIPTIONS = [
    None,
    None,
    "Before the end of the week.",
    "Ask about the Thursday slot.",
    "Check the notes from last time first.",
]
RULES = ["FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,WE", "FREQ=MONTHLY;BYMONTHDAY=-1"]
TAGS = ["work", "home", "errands", "health", "finance", "travel", "reading", "urgent"]


def demo_password():
    """
    The demo accounts' default password, derived from SECRET_KEY: the same
    on every run, so each `make run` can say how to sign in, and unknown to
    anyone without the key.
    """
    digest = salted_hmac("todoapp.seed.demo_password", "demo").digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


class Command(BaseCommand):
    help = (
        "Create demo data: a demo account with varied todos (once), and optionally "
        "more users with N todos each. Safe to run again: nothing is duplicated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--users", type=int, default=0, help="Extra users to create."
        )
        parser.add_argument(
            "--todos", type=int, default=DEMO_TODOS, help="Todos per new user."
        )
        parser.add_argument(
            "--password",
            help="Password for new accounts (default: a random one, printed).",
        )
        parser.add_argument(
            "--seed", type=int, help="Random seed, for repeatable data."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any account exists."
        )

    def handle(self, *args, users, todos, password, seed, if_empty, **options):
        if users < 0 or todos < 0:
            raise CommandError("--users and --todos must be zero or more.")
        password = password or demo_password()
        if if_empty and get_user_model().objects.exists():
            self.stdout.write("Accounts exist already: nothing seeded.")
            self._describe_demo(password)
            return
        rng = random.Random(seed)
        # One hash for every new account: hashing is the slow part, and these
        # are demo accounts sharing one password anyway.
        password_hash = make_password(password)

        with transaction.atomic():
            self._ensure_users([DEMO_EMAIL], password_hash, DEMO_TODOS, rng)
            emails = [f"user{index}@example.com" for index in range(1, users + 1)]
            created = self._ensure_users(emails, password_hash, todos, rng)

        if users:
            existed = users - len(created)
            self.stdout.write(
                f"Created {len(created)} of {users} extra users, {todos} todos each"
                + (f"; {existed} existed already." if existed else ".")
            )
        self._describe_demo(password)
        if created:
            self.stdout.write(
                f"Extra users: user1@example.com ... share the password {password}"
            )

    def _describe_demo(self, password):
        """How to sign in to the demo account, on every run."""
        demo = get_user_model().objects.filter(email=DEMO_EMAIL).first()
        if demo is None:
            self.stdout.write(
                "No demo account (the database had accounts already); create it "
                "with: .venv/bin/python manage.py seed"
            )
        elif demo.check_password(password):
            self.stdout.write(f"Demo account: {DEMO_EMAIL} / {password}")
        else:
            self.stdout.write(
                f"Demo account: {DEMO_EMAIL} (its password was changed; set a new "
                f"one with: .venv/bin/python manage.py changepassword {DEMO_EMAIL})"
            )

    def _ensure_users(self, emails, password_hash, todos_each, rng):
        """Create the users among `emails` that do not exist yet, with their todos."""
        User = get_user_model()
        existing = set(
            User.objects.filter(email__in=emails).values_list("email", flat=True)
        )
        new = [
            User(email=email, password=password_hash)
            for email in emails
            if email not in existing
        ]
        # ignore_conflicts: a concurrent run may have created some meanwhile.
        User.objects.bulk_create(new, ignore_conflicts=True)
        created = list(User.objects.filter(email__in=[user.email for user in new]))
        for user in created:  # bulk_create() skipped User.save()
            ledger.open_account(user.pk)
        self._create_todos(created, todos_each, rng)
        return created

    @staticmethod
    def _todo(owner, now, today, rng):
        completed = rng.random() < 0.35
        created_at = now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 90))
        due = rng.choice([None, -10, -2, -1, 0, 1, 3, 14, 60])
        due_date = None if due is None else today + dt.timedelta(days=due)
        # A quarter of the dated ones at a time of day, some of those in a
        # time zone of their own (the others float); of the open timed ones,
        # a third recur and half remind a quarter of an hour before.
        timed = due is not None and rng.random() < 0.25
        due_time = dt.time(rng.choice([8, 9, 12, 14, 18]), 0) if timed else None
        rule = None
        if timed and not completed and rng.random() < 0.33:
            rule = rng.choice(RULES)
        return Todo(
            owner=owner,
            title=rng.choice(TITLES),
            description=rng.choice(DESCRIPTIONS),
            priority=rng.choice(list(Todo.Priority)),
            due_date=due_date,
            due_time=due_time,
            due_timezone=rng.choice([None, None, "Europe/Paris"]) if timed else None,
            recurrence=rule,
            recurrence_start=recurrence.start_of(due_date, due_time).isoformat()
            if rule
            else None,
            reminders=[{"before": "PT15M"}]
            if timed and not completed and rng.random() < 0.5
            else [],
            completed=completed,
            completed_at=created_at if completed else None,
            tags=rng.sample(TAGS, k=rng.choice([0, 1, 1, 2, 3])),
            created_at=created_at,
        )

    def _create_todos(self, owners, todos_each, rng):
        now = timezone.now()
        today = timezone.localdate()
        batch = []
        total = len(owners) * todos_each
        # A progress bar on a terminal, for work that takes more than a moment.
        progress = tqdm(
            total=total, unit="todo", desc="Seeding", disable=total < 2000 or None
        )
        for owner in owners:
            progress.update(todos_each)
            for _ in range(todos_each):
                batch.append(self._todo(owner, now, today, rng))
        progress.close()
        # Change numbers, the tag index and the stats summary come along.
        Todo.objects.bulk_create(batch, batch_size=1000)
