"""`model workflows pin-trainer --push`: the release commits the trainer pin and lands it on main.

Real git against a bare origin: the pin commit carries its trailers, a rerun is a no-op, a
rival push is rebased over, a rival pin of another digest is re-written on the new tip, and
with staging's release key committed the pin is signed by it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from model.cli.app import _register_commands, app
from model.training import render, spec
from tests.unit.gitops_repo import git, with_origin

_register_commands()
REPO = f"ghcr.io/acme/{spec.TRAINER_IMAGE}"


@pytest.fixture(autouse=True)
def _identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{key}_NAME", "Release Bot")
        monkeypatch.setenv(f"GIT_{key}_EMAIL", "release@example.test")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A clone whose main holds the rendered k8s/workflows, with a bare origin."""
    repo = tmp_path / "work"
    render.write(repo / "k8s/workflows")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "workflows")
    with_origin(repo, tmp_path / "origin.git")
    return repo


def _pin(repo: Path, digest: str) -> tuple[int, str]:
    """Run the CLI in `repo` (the release job's checkout)."""
    here = Path.cwd()
    os.chdir(repo)
    try:
        result = CliRunner().invoke(
            app, ["workflows", "pin-trainer", "--image", f"{REPO}@{digest}", "--push"]
        )
    finally:
        os.chdir(here)
    return result.exit_code, result.output


def _origin_pin(repo: Path) -> tuple[str, str]:
    git(repo, "fetch", "-q", "origin")
    text = git(repo, "show", "origin/main:k8s/workflows/kustomization.yaml")
    (tmp := repo.parent / "shown").mkdir(exist_ok=True)
    (tmp / "kustomization.yaml").write_text(text)
    return render.pinned_image(tmp)


def test_the_pin_is_committed_with_trailers_and_pushed(work: Path) -> None:
    digest = "sha256:" + "ab" * 32
    code, out = _pin(work, digest)
    assert code == 0, out
    assert _origin_pin(work) == (REPO, digest)
    trailers = git(work, "log", "-1", "--format=%(trailers)", "origin/main")
    assert f"Trainer-Image: {REPO}@{digest}" in trailers and "Source-Commit: " in trailers
    changed = git(work, "show", "--name-only", "--format=", "origin/main").split()
    assert changed == ["k8s/workflows/kustomization.yaml"]
    assert render.differences(work / "k8s/workflows") == []
    before = git(work, "rev-parse", "origin/main")
    code, out = _pin(work, digest)  # a rerun of the same release
    assert code == 0 and "already pinned" in out, out
    assert git(work, "rev-parse", "origin/main") == before


def test_a_rival_push_is_rebased_over_and_a_rival_pin_rewritten(work: Path, tmp_path: Path) -> None:
    rival = tmp_path / "rival"
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(rival))
    (rival / "NOTES.md").write_text("a merge that landed first\n")
    git(rival, "add", "NOTES.md")
    git(rival, "-c", "user.name=R", "-c", "user.email=r@x", "commit", "-q", "-m", "notes")
    render.pin_trainer(f"{REPO}@sha256:{'cd' * 32}", rival / "k8s/workflows")
    git(rival, "-c", "user.name=R", "-c", "user.email=r@x", "commit", "-qam", "older pin")
    git(rival, "push", "-q", "origin", "main")
    digest = "sha256:" + "ef" * 32
    code, out = _pin(work, digest)  # the work clone is behind: fetch, rebase, re-write
    assert code == 0, out
    assert _origin_pin(work) == (REPO, digest)
    log = git(work, "log", "--format=%s", "origin/main").splitlines()
    assert log[0].startswith("release: pin the trainer image") and log[1:3] == [
        "older pin",
        "notes",
    ]


def test_a_bad_reference_commits_nothing(work: Path) -> None:
    before = git(work, "rev-parse", "origin/main")
    code, out = _pin(work, "sha256:abc")
    assert code == 2 and "expected REGISTRY/OWNER/" in out, out
    assert git(work, "rev-parse", "origin/main") == before and not git(work, "status", "-s")


def test_with_stagings_key_committed_the_pin_is_signed_by_it(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from model.demo import keys

    home = keys.gnupg_home()
    try:
        fpr = keys.throwaway_key(home, "Release Bot <release@example.test>")
        (work / ".gitops/promoters").mkdir(parents=True)
        (work / ".gitops/promoters/staging.asc").write_text(keys.public_key(home, fpr))
        git(work, "add", ".gitops")
        git(work, "commit", "-q", "-m", "promoters: staging release key")
        git(work, "push", "-q", "origin", "main")
        monkeypatch.setenv("GNUPGHOME", str(home))
        git(work, "config", "user.signingkey", fpr)
        code, out = _pin(work, "sha256:" + "12" * 32)
        assert code == 0, out
        signed = git(work, "log", "-1", "--format=%G?%n%GF", "origin/main").split()
    finally:
        keys.discard(home)
    assert signed[0] in ("G", "U") and signed[1] == fpr
