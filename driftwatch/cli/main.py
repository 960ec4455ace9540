"""The root command group and the error edge shared by every subcommand."""

from __future__ import annotations

import gc
import importlib
import logging
import os
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import click

from driftwatch.cli.logs import configure_logging
from driftwatch.errors import DriftwatchError
from driftwatch.escaping import terminal
from driftwatch.timeutil import as_utc, parse_duration, system_clock

__all__ = [
    "CONFIG_DISCOVERY",
    "EXIT_DRIFT",
    "EXIT_INTERNAL_ERROR",
    "EXIT_OK",
    "EXIT_UNDELIVERED",
    "EXIT_USER_ERROR",
    "Settings",
    "cli",
    "config_option",
    "database_option",
    "duration_option",
    "example",
    "fail",
    "main",
    "parse_since",
    "parse_when",
    "settings",
]

# The exit codes (README, "Exit codes"); every command uses these and no other.
EXIT_OK = 0
EXIT_DRIFT = 1
"""Drift at or above ``--fail-on`` (only when asked)."""
EXIT_USER_ERROR = 2
"""A user error (bad config, option, data, database) or a failed run / window."""
EXIT_INTERNAL_ERROR = 3
"""A bug in driftwatch."""
EXIT_UNDELIVERED = 4
"""The results were stored, but some notifications could not be delivered (retried or dead)."""

CONFIG_DISCOVERY = "--config, else $DRIFTWATCH_CONFIG, else ./driftwatch.yaml"
DEFAULT_CONFIG = "driftwatch.yaml"


@dataclass(frozen=True)
class Settings:
    """The root command's options, seen by every subcommand."""

    debug: bool = False
    log_format: str = "text"
    quiet: bool = False


def settings() -> Settings:
    """The root options of the command being run (defaults outside a command)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_root().obj if ctx is not None else None
    chosen = found.get("settings") if isinstance(found, dict) else None
    return chosen if isinstance(chosen, Settings) else Settings()


def example(*commands: str) -> str:
    """A ``--help`` epilog listing example commands (kept as written, not rewrapped)."""
    label = "Example" if len(commands) == 1 else "Examples"
    return "\b\n" + f"{label}:\n" + "\n".join(f"  {c}" for c in commands)


def fail(message: str) -> None:
    """Print one error line to stderr (used for problems reported without raising).

    The message often quotes data (a feature, a category, a reason): it is shown on one line with
    no control character reaching the terminal.
    """
    click.echo(f"driftwatch: error: {terminal(message)}", err=True)


class DriftwatchGroup(click.Group):
    """Turns driftwatch errors into one line and exit code 2 (a bug: exit code 3); --debug adds
    the traceback above that line and keeps the exit code.

    Subcommands can be registered lazily (:meth:`add_lazy_command`): by name, the
    ``"module:attribute"`` that defines them and their short help. The module is imported only
    when the command is used (or its own ``--help`` is shown), so ``driftwatch --help`` and
    ``--version`` import none of the command modules (nor pandas, SQLAlchemy, pyarrow or scipy).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy: dict[str, tuple[str, str]] = {}

    def add_lazy_command(self, name: str, target: str, short_help: str) -> None:
        """Register ``name`` as the command object ``target`` (``"package.module:attribute"``)."""
        self._lazy[name] = (target, short_help)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is not None or cmd_name not in self._lazy:
            return command
        module, _, attribute = self._lazy[cmd_name][0].partition(":")
        loaded = getattr(importlib.import_module(module), attribute)
        if not isinstance(loaded, click.Command):
            raise TypeError(f"{module}:{attribute} is not a click command")
        self.add_command(loaded, cmd_name)
        return loaded

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, with the registered short help of commands not yet imported."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is None:
                short = click.Command(name, help=self._lazy[name][1]).get_short_help_str(limit)
            elif command.hidden:
                continue
            else:
                short = command.get_short_help_str(limit)
            rows.append((name, short))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DriftwatchError as exc:
            _traceback(ctx)
            fail(str(exc))
            ctx.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo("driftwatch: interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug, not a user error: still one line unless --debug
            if _debug(ctx):
                _traceback(ctx)
                click.echo(
                    f"driftwatch: internal error: {type(exc).__name__}: {terminal(exc)}", err=True
                )
            else:
                click.echo(
                    f"driftwatch: internal error: {type(exc).__name__}: {terminal(exc)} "
                    "(a bug in driftwatch: rerun with --debug for the traceback and report it)",
                    err=True,
                )
            ctx.exit(EXIT_INTERNAL_ERROR)


def _traceback(ctx: click.Context) -> None:
    """With --debug, the traceback of the exception being handled, on stderr.

    Only shown: the exit code stays the error's own (2 for a user error, 3 for a bug), so a
    script sees the same code with and without --debug.
    """
    if _debug(ctx):
        click.echo(traceback.format_exc().rstrip("\n"), err=True)


def _debug(ctx: click.Context) -> bool:
    return bool(ctx.params.get("debug")) or os.environ.get("DRIFTWATCH_DEBUG") == "1"


def _inherited(ctx: click.Context, name: str) -> Any:
    """The value of option ``name`` given to an enclosing group (``alerts --config X dispatch``)."""
    parent = ctx.parent
    while parent is not None:
        value = parent.params.get(name)
        if value is not None:
            return value
        parent = parent.parent
    return None


def _discover_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    """The config file: this option, the enclosing group's, $DRIFTWATCH_CONFIG, ./driftwatch.yaml.

    The one place the rule lives (see :data:`CONFIG_DISCOVERY`).
    """
    if value:
        return value
    return _inherited(ctx, "config_path") or os.environ.get("DRIFTWATCH_CONFIG") or DEFAULT_CONFIG


def _inherit_database(ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    return value or _inherited(ctx, "database")


config_option = click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    callback=_discover_config,
    metavar="FILE",
    help=f"driftwatch YAML config file; default: {CONFIG_DISCOVERY}.",
)

database_option = click.option(
    "--database",
    "database",
    default=None,
    callback=_inherit_database,
    metavar="URL",
    help="Results database URL; overrides the config's 'database' key.",
)


def parse_when(text: str, option: str) -> datetime:
    """An ISO date or datetime from the command line, as aware UTC (naive means UTC)."""
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO date or datetime (e.g. 2019-01-01 or 2019-01-01T12:00)",
            param_hint=option,
        ) from None


def parse_since(text: str, option: str = "--since") -> datetime | timedelta:
    """``30d``/``12h`` (back from now) or an ISO date/datetime (UTC unless it has an offset)."""
    try:
        back = parse_duration(text)
    except ValueError:
        pass
    else:
        try:
            system_clock() - back
        except OverflowError:
            raise click.BadParameter(
                f"{text!r} reaches back before the year 1; give a shorter duration or a date",
                param_hint=option,
            ) from None
        return back
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither a duration (30d, 12h) nor an ISO date (2024-03-01)",
            param_hint=option,
        ) from None


def duration_option(_ctx: click.Context, param: click.Parameter, value: Any) -> timedelta:
    """A click callback: a duration option (``30m``, ``6h``, ``2d``) as a timedelta."""
    try:
        duration = parse_duration(value)
        system_clock() + duration
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None
    except OverflowError:
        raise click.BadParameter(
            f"{value!r} reaches past the year 9999; give a shorter duration", param=param
        ) from None
    return duration


@click.group(
    cls=DriftwatchGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=example(
        "driftwatch run --config config/example.yaml",
        "driftwatch --log-format json -q run --config config/example.yaml --format json",
    ),
)
@click.option(
    "--debug", is_flag=True, help="Also show an error's traceback (the exit code stays the same)."
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="warning",
    show_default=True,
    help="Verbosity of driftwatch's log lines on stderr.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log and progress lines on stderr: readable text, or one JSON object per line.",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No progress and no log lines below errors on stderr (results still print).",
)
@click.version_option(package_name="driftwatch-monitor")
@click.pass_context
def cli(ctx: click.Context, debug: bool, log_level: str, log_format: str, quiet: bool) -> None:
    """driftwatch: KL / Jensen-Shannon drift per feature, stored in SQL, with alerts.

    Every command finds its config the same way: --config FILE, else the DRIFTWATCH_CONFIG
    environment variable, else ./driftwatch.yaml. Exit codes: 0 ok, 1 drift at --fail-on,
    2 user error or failed run, 3 internal error, 4 results stored but notifications undelivered.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["settings"] = Settings(debug=debug, log_format=log_format, quiet=quiet)
    level = logging.ERROR if quiet else getattr(logging, log_level.upper())
    configure_logging(log_format, level)


def main() -> None:
    """Console-script entry point."""
    try:
        cli(prog_name="driftwatch")
    finally:
        # The interpreter's exit runs full collections over every object still alive (pandas,
        # SQLAlchemy, pydantic: ~0.25 s of a `driftwatch run` on a 2-core machine). The command is
        # done and the OS reclaims the memory, so the survivors are frozen out of those scans.
        gc.freeze()
