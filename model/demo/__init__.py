"""`model demo`: the whole GitOps loop on one machine, in a scratch workspace."""
