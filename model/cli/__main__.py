"""`python -m model.cli`: the same as the `model` console script."""

from model.cli.app import main

if __name__ == "__main__":
    main()
