"""The `sahelsim` command: one Typer app, one sub-module per family of commands.

Conventions every command follows (see README): `--json` prints exactly one JSON document on stdout and
nothing else there; progress and tables go to stderr / the terminal; a user's mistake (a `UserError`)
prints one line on stderr and exits with code 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from sahelsim.version import __version__
from sahelsim.errors import UserError
from sahelsim.runtime import interrupts

app = typer.Typer(
    name="sahelsim",
    help="The documented record of drone warfare in the Sahel, and a simulator to compare defences.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Help text is plain text: "[acled]" names a TOML table, not a Rich style to swallow.
    rich_markup_mode=None,
)

# Human output goes to stderr so that stdout carries only the --json document when asked for.
# No markup: file names, messages and table cells hold users' text, where "[...]" is text, not style
# (styles are given with `style=` or rich.text.Text instead).
console = Console(stderr=True, markup=False)
if not console.is_terminal:  # logs and pipes: wide enough that tables are not truncated
    console.width = max(console.width, 140)

JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout, nothing else.")


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"sahelsim {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit (a seed reproduces a"
                                               " simulation only with the version that ran it).")
             ) -> None:
    """Options that come before any command."""


def emit(data: Any, as_json: bool, render: Callable[[], None] | None = None) -> None:
    """Print `data` as JSON on stdout, or call `render` to show it to a person."""
    if as_json:
        sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False) + "\n")
    elif render is not None:
        render()


def _register_commands() -> None:
    """Import the command modules: each adds its commands to `app` on import."""
    from sahelsim.cli import calibrate, discover, mission, record, scenario, sensitivity  # noqa: F401


def run() -> None:
    """The `sahelsim` program, one command per process: once the command has committed, a Ctrl-C
    no longer interrupts it, up to the process's exit (see runtime/interrupts.py)."""
    interrupts.one_command()
    main()


def main() -> None:
    """Run one command in this process: user errors become one line on stderr and exit code 2."""
    with interrupts.scope():  # SIGINT as it was once the command ends, for in-process callers
        _main()


def _main() -> None:
    try:
        _register_commands()
        # Typer returns an exit code rather than raising it here: 130 for an interrupt
        code = app(standalone_mode=False)
    except UserError as error:
        _fail(str(error), 2, {"file": error.file, "header": error.header, "row": error.row,
                              "field": error.field, "reason": error.message})
    except typer.TyperException as error:  # bad options or arguments: the parser's user errors
        _fail(error.format_message().replace("\n", " "), error.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        code = 130
    except RuntimeError as error:  # DuckDB turns Ctrl-C during a query into this
        if str(error) != "Query interrupted":
            raise
        code = 130
    except BrokenPipeError:  # the reader went away (`sahelsim events | head`): nothing to tell it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if code == 130:
        interrupts.point_of_no_return()  # the answer is settled: more Ctrl-Cs do not change it
        _fail("interrupted", 130)
    if isinstance(code, int) and code:
        sys.exit(code)


# Every character Python splits lines at, written as its escape: a message quotes users' text (a
# header name that a stray quote ran into the next line, a file name), and must stay one line.
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


def _fail(message: str, code: int, where: dict[str, Any] | None = None) -> None:
    """One line on stderr; with --json also one document on stdout, so a script parses both outcomes."""
    message = message.translate(_LINE_BREAKS)
    console.print(Text.assemble(("error:", "red"), f" {message}"), highlight=False, soft_wrap=True)
    if "--json" in sys.argv[1:]:
        error = {"message": message, "exit_code": code, **(where or {})}
        sys.stdout.write(json.dumps({"error": error}, ensure_ascii=False) + "\n")
    sys.exit(code)
