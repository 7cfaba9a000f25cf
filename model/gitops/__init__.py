"""GitOps CD: promotion commits with trailers, rollback, audit, verify and live status."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

ENVIRONMENTS = ("staging", "prod")
OVERLAY_ROOT = "k8s/overlays"
KUSTOMIZATION = "kustomization.yaml"
RELEASE_FILE = "credit-scoring-release.yaml"  # the overlay patch `model promote` writes
ANNOTATION_PREFIX = "credit-scoring.io/"
DEFAULT_REMOTE = "origin"
DEFAULT_BRANCH = "main"


def _console() -> Console:
    from rich.console import Console

    # Digests and image refs must stay on one line: people grep and copy them.
    return Console(highlight=False, soft_wrap=True)


out = _console()
