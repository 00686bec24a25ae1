"""
The test harness (dev-only; the runtime never imports it): live servers,
scratch databases, throwaway PostgreSQL and Redis (testing.servers), and
assertion helpers (testing.helpers). Used by the test suites and the benchmark.
"""

# Every test account's password.
PASSWORD = "correct horse battery staple"
