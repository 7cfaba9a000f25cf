"""The command line: a thin Typer layer; the only layer that prints or exits."""
