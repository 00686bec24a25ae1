"""
Schema-driven fuzzing: Schemathesis generates requests for every operation in
the project's own /api/schema/ and sends them to a live production-mode
gunicorn, signed in with a bearer token. Any server error, undocumented status
code, or response that does not match the documented schema fails the test.

`make test` runs a bounded pass (FUZZ_EXAMPLES per operation, fixed seed);
`make fuzz` runs a longer one with a random seed.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from testing.servers import LiveServer, scratch_database

pytestmark = pytest.mark.live

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
SEED = os.environ.get("FUZZ_SEED", "20261124")
# These end the token they are sent with, so each gets a run of its own.
SESSION_ENDING = [
    "/api/v1/auth/signout",
    "/api/v1/auth/signout-all",
    "/api/v1/auth/sessions/{id}",
]


@pytest.fixture(scope="module")
def server():
    with scratch_database() as database_url:
        env = {
            "DATABASE_URL": database_url,
            # The fuzzer is one client hammering every endpoint.
            "AUTH_THROTTLE_RATE": "1000000/min",
            "USER_THROTTLE_RATE": "100000000/hour",
            "SIGNIN_MAX_FAILURES": "1000000",
        }
        with LiveServer(env=env, workers=4) as live:
            yield live


def schemathesis(server, token, *selection):
    schemathesis_cli = Path(sys.executable).with_name("schemathesis")
    command = [
        str(schemathesis_cli),
        "--config-file",
        str(Path(__file__).with_name("schemathesis.toml")),
        "run",
        f"{server.url}/api/schema/",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(EXAMPLES),
        # Which checks run is set in schemathesis.toml: CLI options would
        # override its per-operation settings.
        "--request-timeout",
        "30",
        *(["--seed", SEED] if SEED else []),
        *selection,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    summary = [line for line in result.stdout.splitlines() if "generated" in line]
    print(f"schemathesis {' '.join(selection) or 'main run'}: {summary}")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return result.stdout


def fresh_token(server):
    return server.signup(f"fuzz-{uuid.uuid4().hex[:8]}@example.com")


def test_every_operation_survives_fuzzing(server):
    exclusions = [arg for path in SESSION_ENDING for arg in ("--exclude-path", path)]
    output = schemathesis(server, fresh_token(server), *exclusions)

    assert "Tested: 0" not in output


@pytest.mark.parametrize("path", SESSION_ENDING)
def test_session_ending_operations_survive_fuzzing(server, path):
    # One operation alone has no links to follow: no stateful phase.
    schemathesis(
        server,
        fresh_token(server),
        "--include-path",
        path,
        "--phases",
        "examples,coverage,fuzzing",
    )
