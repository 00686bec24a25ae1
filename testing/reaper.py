"""
`python -m testing.reaper COMMAND...`: run COMMAND, and end its whole process
group the moment the test process that started this goes away.

A server's workers outlive their master when the master is killed (Granian's
and gunicorn's both do), and a test process that is killed (a timeout's
SIGKILL) runs no clean-up. So testing.servers.spawn() starts every helper
process under this reaper, in a process group of its own, with a pipe on its
stdin that only the test process holds: when that pipe closes, however the
test process ended, the reaper SIGKILLs the group. SIGTERM and SIGINT are
passed on to COMMAND, and the reaper exits with COMMAND's status.
"""

import os
import signal
import subprocess
import sys
import threading


def main():
    child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)

    def forward(signum, frame):
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)

    def watch_parent():
        sys.stdin.buffer.read()  # returns at EOF: the test process is gone
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=watch_parent, daemon=True).start()
    sys.exit(child.wait())


if __name__ == "__main__":
    main()
