"""`model report`: compare a pull request's model with its merge-base, with CIs and a gate."""
