"""Start a command in a pseudo-terminal, wait for its first screen, press ``q``, and check it
quits with status 0 (used by wheel_smoke.sh to start and quit ``litdigest review`` headless).

    python scripts/tui_quit.py litdigest review --db store.db
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time


def _read(fd: int, seconds: float) -> bytes:
    out = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def main(argv: list[str]) -> int:
    pid, fd = pty.fork()
    if pid == 0:  # child: the command, on a 120x40 terminal
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    screen = _read(fd, 8.0)  # the first screen (Textual draws within a second or two)
    if not screen:
        print("tui_quit: the command drew nothing", file=sys.stderr)
    os.write(fd, b"q")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            print(f"tui_quit: exited with {code} after q ({len(screen)} bytes drawn)")
            return 0 if code == 0 and screen else 1
        _read(fd, 0.2)
    os.kill(pid, 9)
    print("tui_quit: still running 20 s after q", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
