"""`python -m sahelsim` is the `sahelsim` command."""

from sahelsim.cli import run

run()
