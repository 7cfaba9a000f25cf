"""Continuous training: `model retrain` and the Argo Workflows that run it in a cluster."""
