"""`model audit verify`: check every link between Git, the overlay, DVC, MLflow and the image."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from model.gitops import ENVIRONMENTS, facts, images, overlay, signing
from model.gitops.audit import Ledger, current, read
from model.gitops.trailers import Release
from model.names import LABEL_DATA_MD5, LABEL_MODEL_SHA256, LABEL_MODEL_VERSION, LABEL_REVISION
from model.tracking import registry

OK, BROKEN, SKIPPED = "ok", "BROKEN", "skipped"


@dataclass(frozen=True)
class Link:
    """One checked link and what was found."""

    env: str
    name: str
    status: str
    detail: str


def link(env: str, name: str, expected: str, found: str, what: str) -> Link:
    """OK when `found` is `expected`, else BROKEN naming both."""
    if expected == found:
        return Link(env, name, OK, f"{what} = {found}")
    return Link(env, name, BROKEN, f"expected {what} {expected}, found {found}")


def check_env(
    root: Path, env: str, use_docker: bool = True, book: Ledger | None = None
) -> list[Link]:
    """All links for one environment's current state."""
    entry = current((book or read(root, env)).entries).get(env)
    if entry is None:
        return [Link(env, "promotion", SKIPPED, "no promotion in Git history yet")]
    rel = entry.release
    state = overlay.read(root, env)
    links = [
        link(env, "overlay digest = last promotion", rel.image_digest, state.digest, "digest"),
        link(env, "overlay image = last promotion", rel.image, state.image, "image"),
        link(
            env,
            "overlay model = last promotion",
            rel.model_sha256,
            state.model_sha256,
            "model sha256",
        ),
        link(
            env,
            "self-check Job model = last promotion",
            rel.model_sha256,
            state.selfcheck_sha256 or "no MODEL_SHA256 in the overlay's self-check Job patch",
            "model sha256",
        ),
    ]
    try:
        pinned = facts.model_sha256(root, rel.source_commit)
        links.append(
            link(
                env, "model = dvc.lock at source commit", pinned, state.model_sha256, "model sha256"
            )
        )
    except (facts.FactsError, Exception) as exc:  # unknown commit, missing cache: a broken link
        links.append(Link(env, "model = dvc.lock at source commit", BROKEN, str(exc)))
    links.append(_mlflow(env, rel.model_sha256))
    if use_docker:
        links.append(image_link(env, rel))
    links.extend(signature_links(root, env))
    return links


def signature_links(root: Path, env: str, commits: list[str] | None = None) -> list[Link]:
    """Each promotion (of `commits`, default the root model's) signed by an allowed key."""
    status = {True: OK, False: BROKEN, None: SKIPPED}
    return [
        Link(env, f"signature of {v.commit[:12]}" if v.commit else "promotion signatures",
             status[v.good], v.detail)
        for v in signing.audit(root, env, commits)
    ]  # fmt: skip


def _mlflow(env: str, sha256: str) -> Link:
    name = "MLflow alias = Git"
    uri = registry.tracking_uri()
    if uri is None:
        return Link(env, name, SKIPPED, "no reachable tracking server")
    version = registry.get_alias(uri, env)
    if version is None:
        return Link(env, name, BROKEN, f"alias {env} is not set; Git pins model {sha256[:12]}")
    tags = {t["key"]: t.get("value", "") for t in version.get("tags", [])}
    return link(
        env,
        name,
        sha256,
        tags.get("model_sha256", "untagged"),
        f"v{version['version']} model sha256",
    )


def image_link(env: str, rel: Release) -> Link:
    """The image's OCI labels against the trailers, when Docker has the image."""
    name = "image OCI labels = trailers"
    client = images.docker()
    if client is None:
        return Link(env, name, SKIPPED, "no Docker engine")
    found = images.labels(rel.image, rel.image_digest, client)
    if found is None:
        return Link(env, name, SKIPPED, f"image {rel.image_digest[:19]} not present locally")
    expected = {
        LABEL_MODEL_SHA256: rel.model_sha256,
        LABEL_DATA_MD5: rel.data_md5,
        LABEL_REVISION: rel.source_commit,
        LABEL_MODEL_VERSION: rel.model_version,
    }
    wrong = [
        f"{k}: label {found.get(k, 'missing')} != trailer {v}"
        for k, v in expected.items()
        if found.get(k) != v
    ]
    return Link(env, name, BROKEN if wrong else OK, "; ".join(wrong) or "all labels match")


def ledger_links(book: Ledger) -> list[Link]:
    """One BROKEN link per commit that claims to be a promotion but is malformed."""
    if not book.malformed:
        return [Link("ledger", "promotion commits well-formed", OK, f"{len(book.entries)} read")]
    return [
        Link("ledger", "promotion commit well-formed", BROKEN, f"{m.commit[:12]} {m.reason}")
        for m in book.malformed
    ]


def verify(root: Path, envs: tuple[str, ...] = ENVIRONMENTS, use_docker: bool = True) -> list[Link]:
    """Links for every environment, after the ledger's own well-formedness (one `git log`)."""
    book = read(root)
    links = ledger_links(book)
    return links + [link for env in envs for link in check_env(root, env, use_docker, book)]
