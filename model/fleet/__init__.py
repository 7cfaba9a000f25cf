"""The fleet: one folder per model (fleet/<name>/), listed, scaffolded and diffed here."""
