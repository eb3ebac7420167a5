"""A person at a terminal: runs a command in a pseudo-terminal and types into it.

Only the standard library: ``pty.fork`` gives the child a real controlling terminal, so
Enter, Ctrl-C (SIGINT from the terminal driver) and Ctrl-D (end of input) behave as they do
for someone typing.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import time
from pathlib import Path


class Terminal:
    """Typed lines go in; everything the program prints is kept in ``transcript``."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # pragma: no cover - the child becomes the program
            os.chdir(cwd)
            # as in a person's terminal: a test run started in the background (where the
            # shell ignores SIGINT for everything it starts) must not make Ctrl-C do nothing
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.execvpe(argv[0], argv, env)
        self.pid, self.fd = pid, fd
        self.transcript = ""
        self.position = 0  # everything before it has been looked at
        self.typed: list[str] = []
        self.status: int | None = None

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # the program ended and closed the terminal
            return False
        if not chunk:
            return False
        self.transcript += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        return True

    def expect(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """Wait until ``pattern`` (a regex) appears in what was printed since the last
        match; return the match and move past it."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            found = regex.search(self.transcript, self.position)
            if found:
                self.position = found.end()
                return found
            timed_out = time.monotonic() > deadline or not self._read(0.5)
            if timed_out and not regex.search(self.transcript, self.position):
                tail = self.transcript[self.position :][-3000:]
                raise AssertionError(f"{pattern!r} did not appear; the screen ends:\n{tail}")

    def unseen(self) -> str:
        """What was printed after the last match (read so far)."""
        self._read(0.2)
        return self.transcript[self.position :]

    def type(self, line: str) -> None:
        """Type ``line`` and press Enter."""
        self.typed.append(line)
        os.write(self.fd, line.encode("utf-8") + b"\r")

    def control(self, key: str) -> None:
        """Press Ctrl + ``key`` (``c`` interrupts, ``d`` ends the input), after the pause a
        person makes: a signal that lands between the prompt and the read would wait for
        the next key."""
        time.sleep(0.5)
        os.write(self.fd, bytes([ord(key.upper()) - 64]))

    def wait(self, timeout: float = 60) -> int:
        """Read to the end and return the exit status (minus the signal number if killed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._read(0.5):
                break
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                while self._read(0.1):
                    if not select.select([self.fd], [], [], 0)[0]:
                        break
                self.status = os.waitstatus_to_exitcode(status)
                os.close(self.fd)
                return self.status
        else:
            os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.status = os.waitstatus_to_exitcode(status)
        return self.status
