"""Register the released model in MLflow from Git's facts, or point the aliases at Git's pins.

Each model is its own MLflow registered model, named as the model: credit-scoring for the root
model, NAME for fleet/NAME. `project` is the DVC project its pipeline lives in ("." or
fleet/NAME, from model.fleet.layout.project_folder): its dvc.lock and data.dvc hold the facts.
"""

from __future__ import annotations

from pathlib import Path

from model.gitops import DEFAULT_MODEL


def register_release(
    root: Path,
    uri: str,
    image: str = "",
    run_id: str = "",
    model: str = DEFAULT_MODEL,
    project: str = ".",
) -> str:
    """Register the model HEAD pins as a version of `model` (idempotent); say what happened."""
    from model.gitops import facts
    from model.gitops.overlay import parse_image_ref
    from model.names import MODEL_PATH
    from model.proc import head
    from model.tracking import registry

    if image:
        parse_image_ref(image)  # refuse a malformed ref before anything is sent
    commit = head(root)
    sha = facts.model_sha256(root, commit, project=project)
    tags = {"git_commit": commit, "data_md5": facts.data_md5(root, commit, project)}
    tags |= {"model_version": sha[:12], "model": model, **({"image": image} if image else {})}
    path = facts.in_project(project, MODEL_PATH)
    return registry.register(uri, sha, tags, root, run_id or None, name=model, path=path)


def sync_aliases(root: Path, model: str = DEFAULT_MODEL) -> list[str]:
    """Point each environment's alias of `model` at the model its latest promotion pins."""
    from model.gitops.audit import current, ledger
    from model.tracking import registry

    pinned = current(ledger(root, model=model))
    if not pinned:
        return [f"MLflow aliases of {model}: none to sync, Git has no promotion of {model} yet"]
    return [
        registry.sync_alias(
            env, entry.release.model_sha256, {f"{env}_commit": entry.commit}, name=model
        )
        for env, entry in pinned.items()
    ]
