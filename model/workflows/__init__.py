"""Argo Workflows for in-cluster retraining: spec (hera), render, submit and step helpers."""
