"""
The test harness stops what it started (testing.servers): when a start
fails, when a test fails inside the server's block, and when the test
process itself is killed. No server outlives its test.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from testing.servers import BASE_DIR, LiveServer, wait_until

pytestmark = pytest.mark.live


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its parent's wait is left


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_failed_start_leaves_nothing_running():
    server = LiveServer()

    with pytest.raises(TimeoutError):
        server.start(timeout=0)  # gives up before the server can answer

    assert server.process.poll() is not None
    assert not group_alive(server.process.pid)


def test_a_failing_test_stops_the_server_and_its_workers():
    with pytest.raises(AssertionError), LiveServer(workers=2) as server:
        wait_until(lambda: len(server.worker_pids()) == 2, 60, what="two workers")
        pids = [server.process.pid, *server.pids()]  # the reaper's too
        assert len(pids) == 4
        raise AssertionError("the test fails here")

    wait_until(lambda: not any(map(alive, pids)), 60, what="every process ending")


def test_a_killed_test_process_takes_its_server_along():
    script = (
        "from testing.servers import LiveServer, wait_until\n"
        "server = LiveServer(workers=2).start()\n"
        "wait_until(lambda: len(server.worker_pids()) == 2, 60)\n"
        "print(server.process.pid, *server.pids(), flush=True)\n"
        "import time; time.sleep(600)\n"
    )
    test_process = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        pids = [int(pid) for pid in test_process.stdout.readline().split()]
        assert len(pids) == 4 and all(map(alive, pids))
    finally:
        test_process.send_signal(signal.SIGKILL)  # as a timeout would
        test_process.wait()

    wait_until(lambda: not any(map(alive, pids)), 60, what="every process ending")
