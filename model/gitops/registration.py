"""Register the released model in MLflow from Git's facts, or point the aliases at Git's pins."""

from __future__ import annotations

from pathlib import Path


def register_release(root: Path, uri: str, image: str = "", run_id: str = "") -> str:
    """Register the model HEAD pins as a version (idempotent); say what happened."""
    from model.gitops import facts
    from model.gitops.overlay import parse_image_ref
    from model.proc import head
    from model.tracking import registry

    if image:
        parse_image_ref(image)  # refuse a malformed ref before anything is sent
    commit = head(root)
    sha = facts.model_sha256(root, commit)
    tags = {"git_commit": commit, "data_md5": facts.data_md5(root, commit)}
    tags |= {"model_version": sha[:12], **({"image": image} if image else {})}
    return registry.register(uri, sha, tags, root, run_id or None)


def sync_aliases(root: Path) -> list[str]:
    """Point each environment's alias at the model its latest promotion pins."""
    from model.gitops.audit import current, ledger
    from model.tracking import registry

    return [
        registry.sync_alias(env, entry.release.model_sha256, {f"{env}_commit": entry.commit})
        for env, entry in current(ledger(root)).items()
    ]
