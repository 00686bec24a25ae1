import datetime as dt
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import RateLimitCounter, Session
from testing.helpers import token_for

pytestmark = pytest.mark.django_db


def test_clearsessions_removes_expired_sessions_only(user, other_user):
    token_for(user)
    token_for(other_user)
    Session.objects.filter(user=user).update(
        expire_date=timezone.now() - dt.timedelta(1)
    )

    call_command("clearsessions")

    assert list(Session.objects.values_list("user", flat=True)) == [other_user.pk]


def test_prune_removes_expired_sessions_and_rate_windows(user, other_user):
    token_for(user)
    token_for(other_user)
    Session.objects.filter(user=user).update(
        expire_date=timezone.now() - dt.timedelta(1)
    )
    now = int(time.time())
    RateLimitCounter.objects.create(key="old", count=3, expires_at=now - 1)
    RateLimitCounter.objects.create(key="live", count=3, expires_at=now + 60)

    out = StringIO()
    call_command("prune", stdout=out)

    assert Session.objects.count() == 1
    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == ["live"]
    assert "1 rate-limit windows" in out.getvalue()
