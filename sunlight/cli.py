"""The ``sunlight`` command line.

Subcommands live next to the code they drive (``ingest/cli.py``, ``audit/cli.py`` ...) and are
imported only when called, so ``sunlight --help`` stays fast and a missing optional dependency
affects only the command that needs it. Errors derived from :class:`SunlightError` are printed as
plain text with their hint, and the process exits with the error's ``exit_code``.

Exit codes: 0 done; 1 unexpected error; 2 bad usage or settings; 3 database schema; 4 calendar;
5 a file could not be loaded; 6 a rule file is invalid; 7 the audit failed; 8 live engine
unavailable; 10 done, but some rows were quarantined or some rules failed (see the report).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from sunlight import __version__
from sunlight.errors import SunlightError

# name -> "module:attribute" of a click command; imported on first use.
COMMANDS: dict[str, str] = {
    "migrate": "sunlight.commands:migrate",
    "calendar": "sunlight.commands:calendar",
    "generate": "samples.cli:generate",
    "ingest": "ingest.cli:ingest",
    "quarantine": "ingest.cli:quarantine",
    "demo": "sunlight.demo:demo",
    "audit": "audit.cli:audit",
    "rules": "audit.cli:rules",
    "dashboard": "dashboard.cli:dashboard",
    "flags": "audit.flags_cli:flags",
    "verify": "audit.flags_cli:verify",
    "flag": "audit.flags_cli:flag",
    "nightly": "audit.flags_cli:nightly",
    "report": "audit.flags_cli:report",
    "watch": "audit.live.cli:watch",
    "replay": "audit.live.cli:replay",
}

EXIT_ATTENTION = 10


class LazyGroup(click.Group):
    """A click group whose subcommands are imported when they are called."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        module = importlib.import_module(module_name)
        command: click.Command = getattr(module, attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sunlight")
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Settings file (TOML). Default: $SUNLIGHT_CONFIG, then ./sunlight.toml if present.",
)
@click.pass_context
def cli(ctx: click.Context, config: Path | None) -> None:
    """Sunlight (阳光监察): audit government case logs for timeliness, process and content.

    \b
    A typical day:
      sunlight generate samples/out --cases 5000 --seed 7   # a sample district
      sunlight ingest samples/out --db sunlight.duckdb     # load platform exports
      sunlight demo                                        # all of it on the bundled sample
    """
    from sunlight.config import load_settings

    ctx.obj = load_settings(config)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 unless a command asked for another)."""
    try:
        result: Any = cli.main(args=argv, prog_name="sunlight", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except SunlightError as exc:
        click.echo(f"错误 / error: {exc.describe()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("已中止 / aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
