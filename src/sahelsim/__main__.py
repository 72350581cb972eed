"""`python -m sahelsim` and the `sahelsim` command."""

import sys


def main() -> None:
    """Load the command line, then run one command.

    Loading (typer, rich, DuckDB) takes a good part of a second: a Ctrl-C then ends the program as
    one during a command does, with its one line and exit status 130, not a traceback.
    """
    try:
        from sahelsim.cli import run
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()
