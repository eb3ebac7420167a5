"""The ``mentorbot`` command line: parse, run one command, and explain ordinary failures.

Start-up stays light: this module and ``bot.cli_parser`` use only the standard library, and
each command imports what it runs, so ``--help`` or ``outbox status`` never load slack_bolt,
the Agents SDK, aiohttp or APScheduler (``serve``, ``clock``, ``console`` and ``demo`` do).
An ordinary mistake (a missing file, an unreachable database, a bad setting, ``| head``,
Ctrl-C) ends with one line on stderr and a non-zero exit; ``MENTORBOT_LOG_LEVEL=DEBUG``
adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.cli_parser import HR_COMMANDS, build_parser
from bot.errors import AdminError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from bot.settings import Settings

__all__ = ["build_parser", "main", "open_database"]

EXIT_FAILED = 1
EXIT_REFUSED = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # what a shell reports for a process ended by SIGPIPE
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def open_database(url: str, migrate: bool = True) -> sessionmaker[Session]:
    """Bring the schema up to date (alembic, only when it is behind) and return a factory."""
    from storage.db import make_engine, make_session_factory, upgrade
    from storage.revisions import is_current

    engine = make_engine(url)
    if migrate and not is_current(engine):
        upgrade(url)
    return make_session_factory(engine)


def now() -> datetime:
    return datetime.now(UTC)


def main(argv: Sequence[str] | None = None) -> int:
    url = ""
    try:
        args = build_parser().parse_args(argv)
        settings = _settings()
        url = args.database_url or settings.database_url
        return run(args, settings, url)
    except KeyboardInterrupt:
        print("mentorbot: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`mentorbot people list | head`): stop quietly, and keep
        # Python from complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as err:
        explained = explain(err, url)
        if explained is None:
            raise
        message, code = explained
        if os.environ.get("MENTORBOT_LOG_LEVEL", "").upper() == "DEBUG":
            traceback.print_exc()
        print(f"mentorbot: {message}", file=sys.stderr)
        return code


def _settings() -> Settings:
    from bot.logs import configure_logging
    from bot.settings import get_settings

    settings = get_settings()
    level = settings.log_level.upper()
    if level not in LOG_LEVELS:
        raise AdminError(f"MENTORBOT_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    configure_logging(level, settings.sdk_log_level or None)
    return settings


def explain(err: Exception, url: str) -> tuple[str, int] | None:
    """One line and an exit code for an ordinary failure; None for a bug (traceback)."""
    if isinstance(err, AdminError):
        return str(err), EXIT_REFUSED
    if isinstance(err, UnicodeDecodeError):
        return f"the file is not UTF-8 text ({err.reason} at byte {err.start})", EXIT_FAILED
    if isinstance(err, OSError) and err.filename is not None:
        return f"{err.filename}: {err.strerror or err}", EXIT_FAILED
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(err, pydantic.ValidationError):
        problem = err.errors()[0]
        name = ".".join(str(p) for p in problem["loc"]) or "a setting"
        return f"setting {name} is invalid: {problem['msg']}", EXIT_FAILED
    if "sqlalchemy" in sys.modules:
        from sqlalchemy import exc

        from bot.doctor import first_line, masked

        if isinstance(err, exc.ArgumentError | exc.NoSuchModuleError):
            return f"DATABASE_URL is not a database URL: {first_line(err)}", EXIT_FAILED
        if isinstance(err, exc.OperationalError | exc.InterfaceError):
            return f"cannot use the database {masked(url)}: {first_line(err)}", EXIT_FAILED
    if "alembic" in sys.modules:
        from alembic.util.exc import CommandError

        if isinstance(err, CommandError):
            return (
                f"the database schema cannot be migrated: {err} (was it migrated by a newer "
                "Mentorbot?)",
                EXIT_FAILED,
            )
    if isinstance(err, OSError):
        return str(err) or type(err).__name__, EXIT_FAILED
    return None


def run(args: argparse.Namespace, settings: Settings, url: str) -> int:
    """Run one parsed command; commands that need no migrated database come first."""
    if args.command == "db":
        from storage.db import upgrade

        upgrade(url)
        print("database is up to date")
        return 0
    if args.command == "doctor":
        from bot.doctor import report, run_checks

        text, code = report(run_checks(settings, url))
        print(text)
        return code
    if args.command == "demo":
        from bot.cli_run import demo

        return demo(args)
    if args.command == "teams":
        from bot.cli_run import teams_package

        return teams_package(args, settings)
    factory = open_database(url)
    if settings.hr_emails:
        from bot.hr_cli import startup

        startup(factory, settings, now())  # MENTORBOT_HR_EMAILS → HR role
    if args.command in HR_COMMANDS:
        from bot import hr_cli

        return hr_cli.run(args, factory, settings, now())
    if args.command == "match":
        from bot import match_cli

        return match_cli.run(args, factory, now())
    if args.command in ("outbox", "calendar"):
        from bot.operator import run_operator_command

        return run_operator_command(args, factory, settings, now())
    from bot import cli_run

    return cli_run.run(args, factory, settings, now())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
