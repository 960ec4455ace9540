"""The root command group and the error edge shared by every subcommand."""

from __future__ import annotations

import gc
import importlib
import logging
import os
import sys
from datetime import datetime, timedelta
from typing import Any

import click

from driftwatch.errors import DriftwatchError
from driftwatch.timeutil import as_utc, parse_duration

__all__ = [
    "EXIT_DRIFT",
    "EXIT_INTERNAL_ERROR",
    "EXIT_USER_ERROR",
    "cli",
    "config_option",
    "database_option",
    "duration_option",
    "fail",
    "main",
    "parse_when",
]

EXIT_DRIFT = 1
EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 3


def fail(message: str) -> None:
    """Print one error line to stderr (used for problems reported without raising)."""
    click.echo(f"driftwatch: error: {message}", err=True)


class DriftwatchGroup(click.Group):
    """Turns driftwatch errors into one line and exit code 2, unless --debug asks for tracebacks.

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
            if _debug(ctx):
                raise
            fail(str(exc))
            ctx.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo("driftwatch: interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug, not a user error: still one line unless --debug
            if _debug(ctx):
                raise
            click.echo(
                f"driftwatch: internal error: {type(exc).__name__}: {exc} "
                "(a bug in driftwatch: rerun with --debug for the traceback and report it)",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL_ERROR)


def _debug(ctx: click.Context) -> bool:
    return bool(ctx.params.get("debug")) or os.environ.get("DRIFTWATCH_DEBUG") == "1"


config_option = click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(dir_okay=False, path_type=str),
    envvar="DRIFTWATCH_CONFIG",
    default="driftwatch.yaml",
    show_default=True,
    help="driftwatch YAML config file (env DRIFTWATCH_CONFIG).",
)

database_option = click.option(
    "--database",
    "database",
    default=None,
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


def duration_option(_ctx: click.Context, param: click.Parameter, value: Any) -> timedelta:
    """A click callback: a duration option (``30m``, ``6h``, ``2d``) as a timedelta."""
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None


@click.group(cls=DriftwatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="warning",
    show_default=True,
    help="Verbosity of driftwatch's log lines on stderr.",
)
@click.version_option(package_name="driftwatch")
@click.pass_context
def cli(ctx: click.Context, debug: bool, log_level: str) -> None:
    """driftwatch: KL / Jensen-Shannon drift per feature, stored in SQL, with alerts."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    logging.basicConfig(
        level=getattr(logging, log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main() -> None:
    """Console-script entry point."""
    try:
        cli(prog_name="driftwatch")
    finally:
        # The interpreter's exit runs full collections over every object still alive (pandas,
        # SQLAlchemy, pydantic: ~0.25 s of a `driftwatch run` on a 2-core machine). The command is
        # done and the OS reclaims the memory, so the survivors are frozen out of those scans.
        gc.freeze()
