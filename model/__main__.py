"""`python -m model` runs the same CLI as the `model` console script."""

from model.cli.app import main

main()
