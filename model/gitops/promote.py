"""`model promote ENV --image REF@DIGEST`: pin an image and its model, commit, push."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from model import config
from model.config import UsageError
from model.gitops import (
    DEFAULT_BRANCH,
    DEFAULT_MODEL,
    DEFAULT_REMOTE,
    facts,
    images,
    overlay,
    signing,
)
from model.gitops.audit import current, ledger
from model.gitops.land import Landed, land
from model.gitops.lock import held
from model.gitops.trailers import (
    Release,
    TrailerError,
    check,
    check_release,
    format_metrics,
    message,
)
from model.names import LABEL_MODEL_SHA256, LABEL_MODEL_VERSION
from model.proc import dirty_files, git, head, user
from model.tracking import registry


class PromoteError(UsageError, ValueError):
    """Bad input or a failed precondition: nothing was committed or pushed."""


@dataclass(frozen=True)
class Request:
    """What the caller asked for."""

    env: str
    image_ref: str
    push: bool = False
    source_pr: str = "none"
    promoted_by: str | None = None
    model_version: str | None = None
    direct: bool = False  # prod: push to main instead of a promotion branch
    remote: str = DEFAULT_REMOTE
    branch: str = DEFAULT_BRANCH


_PR_NUMBER = re.compile(r"\(#(\d+)\)$|^Merge pull request #(\d+)")


def check_inputs(**options: str | None) -> None:
    """Refuse option values that would forge or garble trailers (keyword: the Release field)."""
    for name, value in options.items():
        try:
            check(name, value or "", what="--" + name.replace("_", "-"))
        except TrailerError as exc:
            raise PromoteError(str(exc)) from exc


def source_pr(root: Path, explicit: str) -> str:
    """Explicit PR number, else the one in GitHub's merge or squash subject, else 'none'."""
    if explicit and explicit != "none":
        return explicit
    match = _PR_NUMBER.search(git(root, "log", "-1", "--format=%s", release_source(root)).strip())
    return next((g for g in match.groups() if g), "none") if match else "none"


def release_source(root: Path) -> str:
    """The commit being released: HEAD, skipping promotion commits made on top of it."""
    out = git(root, "log", "--first-parent", "-n", "200",
              "--format=%H%x1f%(trailers:key=Environment,valueonly)%x1e")  # fmt: skip
    for record in out.split("\x1e"):
        sha, _, env_value = record.strip().partition("\x1f")
        if sha and not env_value.strip():
            return sha
    return head(root)


def promoter(root: Path, explicit: str | None) -> str:
    """Who promotes: explicit, else the GitHub actor in Actions, else the git user."""
    if explicit:
        return explicit
    actor = config.get(config.GITHUB_ACTOR)
    if actor and config.flag(config.GITHUB_ACTIONS, default=False):
        return f"{actor} (GitHub Actions)"
    return user(root)


def check_clean(root: Path) -> None:
    """Refuse a dirty work tree: a promotion commit must contain the promotion only."""
    dirty = dirty_files(root)
    if dirty:
        raise PromoteError(
            f"the work tree has uncommitted changes ({', '.join(dirty[:5])}); "
            "commit or stash them, then promote again"
        )


def staging_release(root: Path, req: Request, image: str, digest: str, source: str) -> Release:
    """Facts for a staging promotion, from the commit being released and its dvc.lock."""
    try:
        sha = facts.model_sha256(root, source)
    except facts.FactsError as exc:
        raise PromoteError(str(exc)) from exc
    found = images.labels(image, digest)
    if found is not None and found.get(LABEL_MODEL_SHA256, sha) != sha:
        raise PromoteError(
            f"image {image}@{digest} carries model sha256 {found[LABEL_MODEL_SHA256]}, but "
            f"dvc.lock at {source[:12]} pins a model with sha256 {sha}: rebuild the image"
        )
    # The image's own version label wins, so trailers, annotations and labels agree.
    version = req.model_version or (found or {}).get(LABEL_MODEL_VERSION) or sha[:12]
    try:
        check("model_version", version, what=f"the image's {LABEL_MODEL_VERSION} label")
    except TrailerError as exc:
        raise PromoteError(f"{exc}, or pass --model-version") from exc
    return Release(
        environment=req.env,
        model_version=version,
        model_sha256=sha,
        data_md5=facts.data_md5(root, source),
        image=image,
        image_digest=digest,
        source_commit=source,
        source_pr=source_pr(root, req.source_pr),
        mlflow_run=_run_of(root, sha),
        metrics=format_metrics(facts.metrics(root, source)),
        promoted_by=promoter(root, req.promoted_by),
    )


def _run_of(root: Path, sha: str) -> str:
    """The MLflow run that logged this model: the local last run, else the registry's link."""
    local = facts.mlflow_run(root, sha)
    return local if local != "none" else registry.recorded_run(sha)


def prod_release(
    root: Path, req: Request, image: str, digest: str, model: str = DEFAULT_MODEL
) -> Release:
    """Facts for prod: copied from staging's promotion of the same digest, never recomputed."""
    staged = [e for e in ledger(root, "staging", model=model) if e.release.image_digest == digest]
    if not staged:
        flag = "" if model == DEFAULT_MODEL else f" --model {model}"
        raise PromoteError(
            f"{digest} was never promoted to staging for {model} on this branch; prod only takes "
            f"a digest from staging's history (see `model audit{flag} --env staging`)"
        )
    return staged[-1].release.with_(
        environment="prod",
        image=image,
        source_pr=req.source_pr,
        rollback_of="",
        promoted_by=promoter(root, req.promoted_by),
    )


def pinned_by_overlay(root: Path, release: Release) -> bool:
    """True when the overlay (Deployment and self-check Job) already pins `release`."""
    state = overlay.read(root, release.environment)
    found = (state.image, state.digest, state.model_sha256, state.selfcheck_sha256)
    sha = release.model_sha256
    return found == (release.image, release.image_digest, sha, sha)


def pinned_by_ledger(root: Path, release: Release) -> bool:
    """True when the ledger's last event for the model's environment already pins `release`."""
    env = release.environment
    last = current(ledger(root, env, model=release.model)).get(env)
    want = (release.image, release.image_digest, release.model_sha256)
    return last is not None and (last.release.image, last.release.image_digest,
                                 last.release.model_sha256) == want  # fmt: skip


class Target(Protocol):
    """Where one model's pins live: the root model's overlay, or a fleet model's release file."""

    model: str

    def staging(self, root: Path, req: Request, image: str, digest: str, source: str) -> Release:
        """The facts of a staging promotion of this model (PromoteError when they cannot be)."""
        ...

    def pinned(self, root: Path, release: Release) -> bool:
        """True when the files already pin `release`."""
        ...

    def write(self, root: Path, release: Release) -> list[Path]:
        """Write the pins for `release`; return the files written."""
        ...


class OverlayTarget:
    """The default model: k8s/overlays/<env> (Deployment and self-check Job patches)."""

    model = DEFAULT_MODEL

    def staging(self, root: Path, req: Request, image: str, digest: str, source: str) -> Release:
        """Facts from dvc.lock at the released commit, MLflow and the image's labels."""
        return staging_release(root, req, image, digest, source)

    def pinned(self, root: Path, release: Release) -> bool:
        """True when the overlay pins `release`."""
        return pinned_by_overlay(root, release)

    def write(self, root: Path, release: Release) -> list[Path]:
        """Write the overlay's release patch."""
        return overlay.write(root, release.environment, release)


OVERLAY = OverlayTarget()


def commit_release(
    root: Path, release: Release, subject: str, body: str = "", target: Target = OVERLAY
) -> str | None:
    """Write the pins and commit them with trailers; None when files AND ledger already pin it.

    When only the files match (a hand edit, an unrecorded revert) the commit is a
    corrective one: trailers with no diff, so the ledger says again what runs.
    """
    if release.model != target.model:
        raise PromoteError(f"a release of {release.model} cannot be written as {target.model}'s")
    in_overlay = target.pinned(root, release)
    if in_overlay and pinned_by_ledger(root, release):
        return None
    try:
        check_release(release)  # facts read from the repo, MLflow or labels are hostile too
    except TrailerError as exc:
        raise PromoteError(f"refusing to commit: {exc}") from exc
    written = target.write(root, release)
    git(root, "add", "--", *[str(p.relative_to(root)) for p in written])
    try:  # signed when .gitops/promoters/<env>.asc exists; refused commits leave nothing
        signing.commit(
            root, release.environment, message(subject, body, release), allow_empty=in_overlay
        )
    except signing.SigningError as exc:
        raise PromoteError(str(exc)) from exc
    return head(root)


def promote(root: Path, req: Request, target: Target = OVERLAY) -> tuple[Release | None, Landed]:
    """Validate, then edit + commit (+ push); returns the release and where it landed."""
    overlay.check_env(req.env)
    check_inputs(
        source_pr=req.source_pr, promoted_by=req.promoted_by, model_version=req.model_version
    )
    try:
        image, digest = overlay.parse_image_ref(req.image_ref)
    except overlay.OverlayError as exc:
        raise PromoteError(str(exc)) from exc
    with held(root):  # a second promoter in this work tree waits, then sees our commit
        return _promote(root, req, image, digest, target)


def review_branch(model: str, digest: str) -> str:
    """prod's promotion branch: promote/prod-<digest12>, with the model's name for a fleet model."""
    short = digest.removeprefix("sha256:")[:12]
    return f"promote/prod-{short}" if model == DEFAULT_MODEL else f"promote/prod-{model}-{short}"


def _promote(
    root: Path, req: Request, image: str, digest: str, to: Target
) -> tuple[Release | None, Landed]:
    check_clean(root)
    branch_mode = req.env == "prod" and req.push and not req.direct
    target = review_branch(to.model, digest) if branch_mode else None
    built: list[Release] = []
    source = release_source(root)  # fixed now; later rebases only move the promotion commit
    what = "model" if to.model == DEFAULT_MODEL else f"model {to.model}"

    def apply() -> str | None:
        if req.env == "prod":
            release = prod_release(root, req, image, digest, to.model)
        else:
            release = to.staging(root, req, image, digest, source)
        built.append(release)
        subject = f"promote {req.env}: {what} {release.model_version} in {digest[:19]}"
        return commit_release(root, release, subject, target=to)

    if target:
        git(root, "switch", "-q", "-c", target)
    try:
        landed = land(
            root, apply, push=req.push, remote=req.remote, branch=req.branch, target_ref=target
        )
    except Exception:
        _leave_branch(root, target)
        raise
    if target and landed.commit is None:
        _leave_branch(root, target)
    return (built[-1] if built else None), landed


def _leave_branch(root: Path, target: str | None) -> None:
    """Undo the local promotion branch when nothing was pushed from it."""
    if target:
        git(root, "reset", "-q", "--hard", check=False)
        git(root, "switch", "-q", "-", check=False)
        git(root, "branch", "-q", "-D", target, check=False)
