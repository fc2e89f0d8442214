"""`python -m bench.centre`: build a generated centre (see bench/centre/cli.py)."""

from bench.centre.cli import main

main()
