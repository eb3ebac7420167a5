"""A built wheel, installed the way a buildpack installs it, is a working Mentorbot.

The wheel is built from the files git knows (as a fresh clone has them: no compiled
catalogue, no ``.venv``) and installed into a new virtualenv outside the checkout, without
the system's site-packages, so a missing dependency or package file shows. pip resolves the
dependencies through its usual configuration (index, cache, ``--find-links``). The
installed ``mentorbot`` then runs from another directory, with no ``PYTHONPATH``: the
Finnish demo, ``db upgrade``, ``doctor``, and ``serve`` and ``clock`` start and stop.
One virtualenv serves the whole test session, also across pytest-xdist's workers.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conversations.texts import Texts

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 90


@dataclass(frozen=True)
class Installed:
    wheel: Path
    mentorbot: Path
    workdir: Path

    def env(self, **settings: str) -> dict[str, str]:
        """The process environment of a deployment: only PATH, HOME, locale and settings."""
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env["PATH"] = f"{self.mentorbot.parent}{os.pathsep}{env.get('PATH', '')}"
        return {**env, **settings}

    def run(self, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.mentorbot), *args],
            cwd=self.workdir,
            env=self.env(**settings),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def start(self, *args: str, **settings: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(self.mentorbot), *args],
            cwd=self.workdir,
            env=self.env(**settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


def _checkout_copy(target: Path) -> Path:
    """The files of a fresh clone (tracked or new, never ignored build products)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = ROOT / name
        if source.is_file():
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(source.read_bytes())
    return target


def _pip_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and k != "VIRTUAL_ENV"}


def _session_dir(factory: pytest.TempPathFactory) -> Path:
    """One directory per test session, shared by pytest-xdist's workers (their base
    temporary directories are siblings), so the wheel and virtualenv are built once."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _build_and_install(base: Path) -> Installed:
    source = _checkout_copy(base / "source")
    dist = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        check=True,
        env=_pip_env(),
        timeout=600,
    )
    wheel = next(dist.glob("mentorbot-*.whl"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        env=_pip_env(),
        timeout=900,
    )
    workdir = base / "elsewhere"
    workdir.mkdir()
    return Installed(wheel, venv / "bin" / "mentorbot", workdir)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = _session_dir(tmp_path_factory) / "mentorbot-wheel"
    base.mkdir(exist_ok=True)
    with (base.parent / "mentorbot-wheel.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be building it right now
        ready = base / "ready"
        if ready.exists():
            found = Installed(
                next((base / "dist").glob("mentorbot-*.whl")),
                base / "venv" / "bin" / "mentorbot",
                base / "elsewhere",
            )
        else:
            found = _build_and_install(base)
            ready.touch()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    workdir = found.workdir / worker  # each worker's databases apart
    workdir.mkdir(exist_ok=True)
    yield Installed(found.wheel, found.mentorbot, workdir)


def test_the_wheel_ships_the_catalogue_source_the_teams_icons_and_no_compiled_catalogue(
    installed: Installed,
) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    assert "conversations/locale/fi/LC_MESSAGES/messages.po" in names
    assert not [n for n in names if n.endswith(".mo")]
    assert "storage/migrations/versions/0001_initial_schema.py" in names
    assert "bot/scenarios/lifecycle_fi.txt" in names
    assert {"adapters/teams/icons/color.png", "adapters/teams/icons/outline.png"} <= names


@pytest.fixture(scope="module")
def finnish_demo(installed: Installed) -> subprocess.CompletedProcess[str]:
    return installed.run("demo", "--locale", "fi", "--db", "demo.db")


def test_the_installed_finnish_demo_completes_without_an_apology(
    finnish_demo: subprocess.CompletedProcess[str],
) -> None:
    result = finnish_demo
    assert result.returncode == 0, result.stderr[-2000:]
    for locale in ("en", "fi"):
        assert Texts(locale).t("common.apology") not in result.stdout
    assert "Traceback" not in result.stderr
    assert Texts("fi").t("onboarding.language_set") in result.stdout  # Finnish was spoken
    assert "demo finished" in result.stdout


def test_the_demos_closing_hint_runs_as_written(
    installed: Installed, finnish_demo: subprocess.CompletedProcess[str]
) -> None:
    hint = finnish_demo.stdout.rsplit("try: ", 1)[1].strip().removesuffix(")")
    command = shlex.split(hint)
    assert command[0] == "mentorbot"  # on the PATH of this environment
    result = subprocess.run(
        command,
        cwd=installed.workdir,
        env=installed.env(),
        stdin=subprocess.DEVNULL,  # the person leaves the console at once
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Aino" in result.stdout


def test_the_installed_cli_migrates_and_the_doctor_passes_on_sqlite(installed: Installed) -> None:
    url = f"sqlite:///{installed.workdir / 'doctor.db'}"
    assert installed.run("db", "upgrade", DATABASE_URL=url).returncode == 0
    doctor = installed.run("doctor", DATABASE_URL=url)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "nothing to fix" in doctor.stdout
    assert "ok   schema" in doctor.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    return process.returncode, output


def test_the_installed_web_process_answers_healthz_and_stops_cleanly(
    installed: Installed,
) -> None:
    url = f"sqlite:///{installed.workdir / 'web.db'}"
    port = _free_port()
    process = installed.start("serve", DATABASE_URL=url, PORT=str(port))
    status = None
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while status is None and time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    status = r.status
            except OSError:
                time.sleep(0.3)
    finally:
        code, output = _stop(process)
    assert status == 200, output
    assert code == 0, output
    assert "Traceback" not in output


def _outbox_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def test_the_installed_clock_sweeps_and_stops_cleanly(installed: Installed) -> None:
    db = installed.workdir / "clock.db"
    seeded = installed.run("demo", "--seed-only", "--db", str(db))
    assert seeded.returncode == 0, seeded.stderr
    before = _outbox_rows(db)
    clock_file = installed.workdir / "now.txt"
    clock_file.write_text("2027-01-12T10:00:00+02:00", "utf-8")  # the day after pairing
    process = installed.start(
        "clock", DATABASE_URL=f"sqlite:///{db}", MENTORBOT_CLOCK_FILE=str(clock_file)
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if _outbox_rows(db) > before:  # the sweep queued what was due
                break
            time.sleep(0.3)
        swept = _outbox_rows(db) > before
    finally:
        code, output = _stop(process)
    assert swept, output
    assert code == 0, output
    assert "Traceback" not in output


def _only(tmp_path: Path, pythons: dict[str, str]) -> dict[str, str]:
    """A PATH with just these Python names (and the tools make's probe uses)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, target in pythons.items():
        (bin_dir / name).symlink_to(target)
    for tool in ("grep", "echo", "test"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    return {"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/")}


def _make_venv(
    tmp_path: Path, env: dict[str, str], *flags: str
) -> subprocess.CompletedProcess[str]:
    """The recipe that creates the virtualenv (``-n``: printed, not run)."""
    make = shutil.which("make")
    assert make is not None
    venv = tmp_path / "v"
    target = [f"VENV={venv}", f"{venv}/bin/mentorbot", "-W", "pyproject.toml"]
    return subprocess.run(
        [make, *flags, "-C", str(ROOT), *target],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_make_uses_python3_when_it_is_new_enough_and_no_python3_11_exists(tmp_path: Path) -> None:
    result = _make_venv(tmp_path, _only(tmp_path, {"python3": sys.executable}), "-n")
    assert result.returncode == 0, result.stderr
    assert f"python3 -m venv {tmp_path / 'v'}" in result.stdout


def test_make_says_which_python_it_needs_when_none_is_new_enough(tmp_path: Path) -> None:
    result = _make_venv(tmp_path, _only(tmp_path, {}))  # run: the first line stops it
    assert result.returncode != 0
    assert "make: Python 3.11 or newer is needed" in result.stderr
    assert not (tmp_path / "v").exists()
