"""One well-formed release, as `model promote` records it: the trailer tests' shared sample."""

from __future__ import annotations

from model.gitops.trailers import Release

RELEASE = Release(
    environment="staging",
    model_version="3415f47b43c8",
    model_sha256="a" * 64,
    data_md5="d" * 32,
    image="ghcr.io/org/credit-scoring",
    image_digest="sha256:" + "b" * 64,
    source_commit="c" * 40,
    source_pr="42",
    metrics="f1=0.58,roc_auc=0.83",
    promoted_by="Ada <ada@example.test>",
)
