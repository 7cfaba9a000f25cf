"""GitOps CD: promotion commits with trailers, rollback, audit, verify and live status."""

from __future__ import annotations

ENVIRONMENTS = ("staging", "prod")
OVERLAY_ROOT = "k8s/overlays"
KUSTOMIZATION = "kustomization.yaml"
RELEASE_FILE = "credit-scoring-release.yaml"  # the overlay patch `model promote` writes
ANNOTATION_PREFIX = "credit-scoring.io/"
DEFAULT_REMOTE = "origin"
DEFAULT_BRANCH = "main"
# A model's name (model/fleet/layout.py's folders, the `Model:` trailer, deploy/<env>/<name>.yaml):
# lower-case letters, digits and single dashes, starting with a letter, at most 40 characters,
# so it is safe as a path segment, a Kubernetes name prefix and an image tag. The bound is in the
# pattern itself (a dash must be followed by a letter or digit), so the trailer parser's one
# regex enforces it too. It lives here, below the fleet, so trailers can check it.
MAX_MODEL_NAME = 40
MODEL_NAME = rf"[a-z](?:[a-z0-9]|-(?=[a-z0-9])){{0,{MAX_MODEL_NAME - 1}}}"
DEFAULT_MODEL = "credit-scoring"  # the single model at the repository root (k8s/overlays/<env>)
