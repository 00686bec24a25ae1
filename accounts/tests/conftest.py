"""The tests that count in a real Redis get a throwaway one of their own."""

import pytest

from testing.servers import TemporaryRedis


@pytest.fixture(scope="module")
def redis_server():
    redis = TemporaryRedis().start()
    yield redis
    redis.stop()


@pytest.fixture
def redis_settings(settings, redis_server):
    """Counting in `redis_server`, with the deployment's fail-fast timeouts."""
    settings.REDIS_URL = redis_server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    return settings
