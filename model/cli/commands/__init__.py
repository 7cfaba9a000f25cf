"""CLI command modules; each exposes `register(app: typer.Typer)`.

Rules: no heavy import at module level; a command parses options, calls one function in
the logic layer, prints the outcome, and exits 0 (ok), 1 (a failed check) or 2 (bad input).
"""
