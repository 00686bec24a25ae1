"""Password hashing with a bounded footprint."""

import threading

from django.contrib.auth.hashers import Argon2PasswordHasher


class BoundedArgon2PasswordHasher(Argon2PasswordHasher):
    """
    Django's Argon2 hasher (same algorithm name, so stored hashes verify),
    one hash at a time per process: each takes ~100 MiB for a quarter to half
    a second, and a worker whose threads all hashed at once grew past 900 MiB
    under a sign-in load. Sign-ins then queue per process, as they did on
    single-threaded workers.
    """

    _one_at_a_time = threading.Lock()

    def encode(self, password, salt):
        with self._one_at_a_time:
            return super().encode(password, salt)

    def verify(self, password, encoded):
        with self._one_at_a_time:
            return super().verify(password, encoded)
