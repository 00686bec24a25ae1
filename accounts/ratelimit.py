"""
Shared, atomic fixed-window counters for rate limits.

A window opens at a key's first hit and lasts `window` seconds; every hit in it
increments the key's count in one atomic step, so concurrent requests, from any
number of gunicorn workers and instances, cannot slip past a limit the way
they can past DRF's read-then-write throttle history.

Counters live in Redis when REDIS_URL is set (an INCR/EXPIRE script), else in
the database (one upsert into accounts.RateLimitCounter). If Redis is down,
counting fails open: the request is allowed and a warning logged, because an
outage of the cache should not take the API down with it.
"""

import functools
import hashlib
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

# Imported here, not where first used: a first import racing in two threads
# of a worker can deadlock on redis' own circular imports.
from django_redis import get_redis_connection
from redis.exceptions import ConnectionError, NoScriptError, RedisError, ResponseError

logger = logging.getLogger(__name__)

# Count one hit of KEYS[1] in its window of ARGV[1] seconds.
_REDIS_COUNT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
"""
_REDIS_HIT = _REDIS_COUNT + "return {count, ttl}\n"


@dataclass(frozen=True)
class Usage:
    """A key's count in its current window, against a limit."""

    count: int
    limit: int
    reset_in: int  # seconds until the window closes
    counted: bool = True  # False when Redis was down and nothing was counted

    @property
    def allowed(self):
        return self.count <= self.limit

    @property
    def remaining(self):
        return max(0, self.limit - self.count)


def hit(key, limit, window):
    """Count one event for `key` and return its usage."""
    if settings.REDIS_URL:
        return _redis_hit(key, limit, window)
    return _database_hit(key, limit, window)


def peek(key, limit):
    """The usage of `key` without counting anything."""
    if settings.REDIS_URL:
        return _redis_peek(key, limit)
    return _database_peek(key, limit)


# In-flight slots: a sorted set of lease tokens scored by when each lease
# expires, so a slot whose request died with its worker frees itself.
_REDIS_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


def acquire_slot(key, limit, lease):
    """
    Take one of `limit` concurrent slots of `key` for at most `lease`
    seconds: a token to release, or None when every slot is taken. Counted
    in Redis only: without it, or while it is down, every request gets a
    slot (the empty token, which releases nothing).
    """
    if not settings.REDIS_URL:
        return ""
    token = secrets.token_hex(8)
    now = time.time()
    try:
        taken = _script(
            _REDIS_ACQUIRE, 1, _redis_key(key), now, limit, now + lease, token, lease
        )
    except RedisError as exc:
        _fail_open(key, limit, exc)
        return ""
    return token if taken else None


# A rate-limit hit and, if the rate allows, a slot: the two checks of every
# API request in one round trip instead of two.
_REDIS_HIT_AND_ACQUIRE = (
    _REDIS_COUNT
    + """
if count > tonumber(ARGV[2]) then
  return {count, ttl, 0}
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  return {count, ttl, 0}
end
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[7])
return {count, ttl, 1}
"""
)


def hit_and_acquire(key, limit, window, slot_key, slots, lease):
    """
    hit(key, limit, window), then, if that is allowed, acquire_slot(slot_key,
    slots, lease): (usage, token), in one atomic step in Redis. The token is
    None when every slot is taken, "" when nothing was counted.
    """
    if not settings.REDIS_URL:
        return _database_hit(key, limit, window), ""
    token = secrets.token_hex(8)
    now = time.time()
    try:
        count, ttl, taken = _script(
            _REDIS_HIT_AND_ACQUIRE,
            2,
            _redis_key(key),
            _redis_key(slot_key),
            window,
            limit,
            now,
            slots,
            now + lease,
            token,
            lease,
        )
    except RedisError as exc:
        return _fail_open(key, limit, exc), ""
    usage = Usage(count=int(count), limit=limit, reset_in=max(1, int(ttl)))
    return usage, (token if taken else None if usage.allowed else "")


def release_slot(key, token):
    if not token:
        return
    try:
        _command("ZREM", _redis_key(key), token)
    except RedisError as exc:
        logger.warning("slot not released, Redis unavailable: %s (%s)", exc, key)


def _redis():
    return get_redis_connection("default")


# --- the counting commands, on a connection of the thread's own ---------------
# Every API request sends two commands (hit_and_acquire, release_slot). Sent
# through the Redis client, each took ~150 Python calls (redis-py 8: pool
# checkout with a readiness poll, the retry wrapper, event dispatch) around
# the connection's own send and read, 9% of a list request's calls
# (`python -m bench.calls`). So they go straight to a redis-py Connection
# that this thread keeps, made by the cache's pool from its own settings
# (URL, timeouts, TLS). One thread sends one command at a time on it, so it
# needs no pool; a fork or another REDIS_URL gets a new one.


class _Link(threading.local):
    connection = None
    url = None
    pid = None


_link = _Link()


def _connection():
    link = _link
    if (
        link.connection is None
        or link.url != settings.REDIS_URL
        or link.pid != os.getpid()
    ):
        pool = _redis().connection_pool
        link.connection = pool.connection_class(**pool.connection_kwargs)
        link.url, link.pid = settings.REDIS_URL, os.getpid()
    return link.connection


def _command(*args):
    """
    One command's reply. A connection Redis closed while it idled is
    reconnected once, as the client's retry would; after any other failure
    to talk the connection is dropped (the next command connects afresh).
    An error reply (ResponseError) leaves it as it is, fully read.
    """
    connection = _connection()
    reconnect_once = connection.is_connected
    while True:
        try:
            connection.send_command(*args)
            return connection.read_response()
        except ResponseError:
            raise
        except ConnectionError:
            connection.disconnect()
            if not reconnect_once:
                raise
            reconnect_once = False
        except RedisError:
            connection.disconnect()
            raise


@functools.cache
def _sha(source):
    return hashlib.sha1(source.encode()).hexdigest()


def _script(source, *keys_and_args):
    """EVAL `source` by its SHA1, loading it the first time Redis lacks it."""
    try:
        return _command("EVALSHA", _sha(source), *keys_and_args)
    except NoScriptError:
        return _command("EVAL", source, *keys_and_args)


def _redis_key(key):
    return f"todoapp:ratelimit:{key}"


def _fail_open(key, limit, exc):
    logger.warning("rate limit not enforced, Redis unavailable: %s (%s)", exc, key)
    return Usage(count=0, limit=limit, reset_in=0, counted=False)


def _redis_hit(key, limit, window):
    try:
        count, ttl = _script(_REDIS_HIT, 1, _redis_key(key), window)
    except RedisError as exc:
        return _fail_open(key, limit, exc)
    return Usage(count=int(count), limit=limit, reset_in=max(1, int(ttl)))


def _redis_peek(key, limit):
    try:
        with _redis().pipeline() as pipe:
            count, ttl = pipe.get(_redis_key(key)).ttl(_redis_key(key)).execute()
    except RedisError as exc:
        return _fail_open(key, limit, exc)
    return Usage(count=int(count or 0), limit=limit, reset_in=max(0, int(ttl or 0)))


def _counter_table():
    from accounts.models import RateLimitCounter

    return connection.ops.quote_name(RateLimitCounter._meta.db_table)


def _database_hit(key, limit, window):
    now = int(time.time())
    table = _counter_table()
    key_column = connection.ops.quote_name("key")
    # One statement: insert, or increment the live window, or restart an
    # expired one. PostgreSQL and SQLite (3.35+) both run it atomically.
    sql = f"""
        INSERT INTO {table} ({key_column}, count, expires_at) VALUES (%s, 1, %s)
        ON CONFLICT ({key_column}) DO UPDATE SET
            count = CASE WHEN {table}.expires_at <= %s THEN 1
                         ELSE {table}.count + 1 END,
            expires_at = CASE WHEN {table}.expires_at <= %s THEN excluded.expires_at
                              ELSE {table}.expires_at END
        RETURNING count, expires_at
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, now + window, now, now])
        count, expires_at = cursor.fetchone()
    return Usage(count=count, limit=limit, reset_in=max(1, expires_at - now))


def _database_peek(key, limit):
    from accounts.models import RateLimitCounter

    now = int(time.time())
    counter = RateLimitCounter.objects.filter(key=key, expires_at__gt=now).first()
    if counter is None:
        return Usage(count=0, limit=limit, reset_in=0)
    return Usage(count=counter.count, limit=limit, reset_in=counter.expires_at - now)


def purge_expired():
    """Delete finished database windows; returns how many."""
    from accounts.models import RateLimitCounter

    deleted, _ = RateLimitCounter.objects.filter(
        expires_at__lte=int(time.time())
    ).delete()
    return deleted
