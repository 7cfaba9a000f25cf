"""Promote, roll back and verify one fleet model: its pins are deploy/<env>/<model>.yaml.

The flow is gitops' own (model.gitops.promote / rollback: trailers, signing, the land() retry);
only where the pins live and where the staging facts come from differ, so this module is the
gitops `Target` for a fleet model. Promotions of different models touch different files, so
the rebases in land() never conflict. Each fleet model is its own MLflow registered model
(`model register --model NAME`), so a promotion or rollback moves that model's alias as the
root's does; the trailers carry no run id (the release job tracks no run).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from model.fleet import release as release_file
from model.fleet.layout import DATA_DVC, DEFAULT_MODEL, FleetError, check_name, folder
from model.gitops import images
from model.gitops import verify as gitops_verify
from model.gitops.audit import Ledger, read
from model.gitops.promote import OVERLAY, PromoteError, Request, Target, promoter, source_pr
from model.gitops.trailers import Release, format_metrics
from model.gitops.verify import BROKEN, SKIPPED, Link, image_link, link, signature_links
from model.names import LABEL_MODEL_SHA256, LABEL_MODEL_VERSION, PIN_FILE
from model.proc import show


def target_for(root: Path, model: str | None) -> Target:
    """The pins of `model`: the overlay for the default model (or None), else its release file."""
    if model is None or model == DEFAULT_MODEL:
        return OVERLAY
    name = check_name(model)  # hostile until here: it becomes a path and a trailer
    if not (root / folder(name)).is_dir():
        raise FleetError(f"no model folder {folder(name)}/ here; create it with `model new`")
    return ReleaseFile(name)


@dataclass(frozen=True)
class ReleaseFile:
    """A fleet model's pins: one release file per environment, read by the fleet ApplicationSet."""

    model: str

    def staging(self, root: Path, req: Request, image: str, digest: str, source: str) -> Release:
        """Facts from the model's folder (pin, data.dvc, metrics at the source) and image labels."""
        if not release_file.IMAGE.fullmatch(image):
            raise PromoteError(
                f"image {image!r}: a fleet release needs a registry path (e.g. ghcr.io/org/"
                f"{self.model}); expected {release_file.IMAGE.pattern}"
            )
        try:
            pinned = release_file.trained_sha256(root, self.model)
        except FleetError as exc:  # a garbled pin file: promote nothing
            raise PromoteError(str(exc)) from exc
        found = images.labels(image, digest) or {}
        labelled = found.get(LABEL_MODEL_SHA256)
        if pinned and labelled and pinned != labelled:
            raise PromoteError(
                f"image {image}@{digest} carries model sha256 {labelled}, but "
                f"{folder(self.model)}/models/{PIN_FILE} holds {pinned}: rebuild the image"
            )
        sha = pinned or labelled
        if not sha:
            raise PromoteError(
                f"no model digest for {self.model}: {folder(self.model)}/models/{PIN_FILE} is "
                f"missing (run `dvc repro` or `dvc pull` in {folder(self.model)}) and the image "
                "is not here to read its labels"
            )
        return Release(
            environment=req.env,
            model_version=req.model_version or found.get(LABEL_MODEL_VERSION) or sha[:12],
            model_sha256=sha,
            data_md5=self._data_md5(root, source),
            image=image,
            image_digest=digest,
            source_commit=source,
            source_pr=source_pr(root, req.source_pr),
            metrics=format_metrics(self._metrics(root, source)),
            promoted_by=promoter(root, req.promoted_by),
            model=self.model,
        )

    def _data_md5(self, root: Path, rev: str) -> str:
        from model.core.dataset import DataPinError, md5_of

        where = f"{folder(self.model)}/{DATA_DVC}"
        text = show(root, rev, where)
        try:
            return "unknown" if text is None else md5_of(text, where)
        except DataPinError:
            return "unknown"

    def _metrics(self, root: Path, rev: str) -> dict[str, float]:
        text = show(root, rev, f"{folder(self.model)}/reports/metrics.json")
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            return {}
        items = data.items() if isinstance(data, dict) else ()
        return {k: v for k, v in items if isinstance(v, int | float) and not isinstance(v, bool)}

    def pinned(self, root: Path, release: Release) -> bool:
        """True when deploy/<env>/<model>.yaml already pins `release`."""
        try:
            now = release_file.read(release_file.path(root, release.environment, self.model))
        except FleetError:  # absent or unreadable: writing it is the fix
            return False
        want = (release.image, release.image_digest, release.model_sha256, release.model_version)
        return (now.image, now.digest, now.model_sha256, now.model_version) == want

    def write(self, root: Path, release: Release) -> list[Path]:
        """Write the release file; a file's resources are kept (they are not a release fact)."""
        where = release_file.path(root, release.environment, self.model)
        try:
            resources = release_file.read(where).resources
        except FleetError:
            resources = release_file.DEFAULT_RESOURCES
        fleet = release_file.FleetRelease(
            self.model, release.environment, release.image, release.image_digest,
            release.model_sha256, release.model_version, resources,
        )  # fmt: skip
        try:
            return [release_file.write(root, fleet)]
        except FleetError as exc:
            raise PromoteError(f"refusing to write {where.relative_to(root)}: {exc}") from exc


def verify(
    root: Path, model: str | None, envs: tuple[str, ...], use_docker: bool = True
) -> list[Link]:
    """`model audit verify [--model NAME]`: the default model's links, or a fleet model's."""
    pins = target_for(root, model)
    if pins is OVERLAY:
        return gitops_verify.verify(root, envs, use_docker)
    book = read(root, model=pins.model)
    links = gitops_verify.ledger_links(book)
    for env in envs:
        links += _release_links(root, pins.model, env, book, use_docker)
    return links


def _release_links(root: Path, model: str, env: str, book: Ledger, use_docker: bool) -> list[Link]:
    """deploy/<env>/<model>.yaml against the model's last promotion there, labels, signatures."""
    entries = [e for e in book.entries if e.release.environment == env]
    if not entries:
        return [Link(env, f"{model} promotion", SKIPPED, "no promotion in Git history yet")]
    rel = entries[-1].release
    where = release_file.path(root, env, model)
    try:
        now = release_file.read(where)
    except FleetError as exc:
        return [Link(env, f"{where.relative_to(root)} = last promotion", BROKEN, str(exc))]
    name = f"{where.relative_to(root)}"
    links = [
        link(env, f"{name} digest = last promotion", rel.image_digest, now.digest, "digest"),
        link(env, f"{name} image = last promotion", rel.image, now.image, "image"),
        link(env, f"{name} model = last promotion", rel.model_sha256, now.model_sha256,
             "model sha256"),
        link(env, f"{name} version = last promotion", rel.model_version, now.model_version,
             "version"),
    ]  # fmt: skip
    if use_docker:
        links.append(image_link(env, rel))
    return links + signature_links(root, env, [e.commit for e in entries])
