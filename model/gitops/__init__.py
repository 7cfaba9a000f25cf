"""GitOps CD: promotion commits with trailers, rollback, audit, verify and live status."""

from __future__ import annotations

ENVIRONMENTS = ("staging", "prod")
OVERLAY_ROOT = "k8s/overlays"
KUSTOMIZATION = "kustomization.yaml"
RELEASE_FILE = "credit-scoring-release.yaml"  # the overlay patch `model promote` writes
ANNOTATION_PREFIX = "credit-scoring.io/"
DEFAULT_REMOTE = "origin"
DEFAULT_BRANCH = "main"
