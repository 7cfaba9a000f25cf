"""Issue 11 §2: the release key comes from a CI secret (`make git-signing-key`), signing goes
through git's own configuration, and hostile names or secrets are refused."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from model.demo.keys import discard, gnupg_home, public_key, secret_key, throwaway_key
from model.gitops import signing, signing_setup
from model.gitops.promote import Request, promote
from tests.unit.gitops_repo import ROOT, git, make_repo

pytestmark = [pytest.mark.e2e, pytest.mark.security]
IMAGE = "ghcr.io/org/credit-scoring@sha256:" + "c" * 64


@pytest.fixture(scope="module")
def release() -> Iterator[tuple[Path, str]]:
    """The release key as the team would make it once: (its home, its fingerprint)."""
    home = gnupg_home()
    try:
        yield home, throwaway_key(home, "Release <release@release.test>")
    finally:
        discard(home)


@pytest.fixture
def ci_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty GNUPGHOME, like a fresh CI runner's."""
    home = gnupg_home()
    monkeypatch.setenv("GNUPGHOME", str(home))
    monkeypatch.setenv("MODEL_REGISTRY", "0")
    yield home
    discard(home)


def with_promoters(root: Path, armored: str) -> Path:
    (root / ".gitops/promoters").mkdir(parents=True)
    (root / ".gitops/promoters/staging.asc").write_text(armored)
    git(root, "add", ".gitops")
    git(root, "commit", "-q", "-m", "promoters")
    return root


def test_make_target_imports_the_ci_secret_and_the_promotion_is_signed(
    tmp_path: Path, release: tuple[Path, str], ci_home: Path
) -> None:
    home, fpr = release
    root = with_promoters(make_repo(tmp_path / "repo"), public_key(home, fpr))
    proc = subprocess.run(
        [sys.executable, "-m", "model.cli", "signing", "setup"], cwd=root,
        capture_output=True, text=True,
        env={**os.environ, "PROMOTION_GPG_KEY": secret_key(home, fpr), "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert fpr in proc.stdout
    assert git(root, "config", "user.signingkey").strip() == fpr
    promote(root, Request(env="staging", image_ref=IMAGE))
    # U: good signature; the runner's keyring merely does not vouch for the key (audit does).
    assert git(root, "log", "-1", "--format=%G?|%GF").strip() == f"U|{fpr}"
    assert [v.good for v in signing.audit(root, "staging")] == [True]


def test_signing_goes_through_gits_own_gpg_program(
    tmp_path: Path, release: tuple[Path, str], ci_home: Path
) -> None:
    home, fpr = release
    root = with_promoters(make_repo(tmp_path / "repo"), public_key(home, fpr))
    signing_setup.configure(root, secret_key(home, fpr))
    calls = tmp_path / "calls"
    wrapper = tmp_path / "gpg-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec gpg "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    git(root, "config", "gpg.program", str(wrapper))
    promote(root, Request(env="staging", image_ref=IMAGE))
    assert "-bsau" in calls.read_text() or "--detach-sign" in calls.read_text()
    assert fpr in calls.read_text()  # user.signingkey, as configured, chose the key


@pytest.mark.parametrize(
    ("secret", "needle"),
    [
        ("", "no PRIVATE KEY block"),
        ("-----BEGIN PGP PUBLIC KEY BLOCK-----\nxx\n-----END PGP PUBLIC KEY BLOCK-----\n",
         "no PRIVATE KEY block"),
        ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nnot base64 at all\n"
         "-----END PGP PRIVATE KEY BLOCK-----\n", "no public key"),
    ],
)  # fmt: skip
def test_a_bad_ci_secret_is_refused_and_nothing_is_configured(
    tmp_path: Path, ci_home: Path, secret: str, needle: str
) -> None:
    root = make_repo(tmp_path / "repo")
    with pytest.raises(signing.SigningError, match=needle):
        signing_setup.configure(root, secret)
    found = subprocess.run(
        ["git", "config", "--local", "--get-all", "user.signingkey"], cwd=root,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert found.stdout.strip() == ""


def test_two_keys_in_the_ci_secret_are_refused(tmp_path: Path, ci_home: Path) -> None:
    home = gnupg_home()
    try:
        both = [throwaway_key(home, f"K{i} <k{i}@x.test>") for i in (1, 2)]
        armored = "".join(secret_key(home, fpr) for fpr in both)
    finally:
        discard(home)
    root = make_repo(tmp_path / "repo")
    with pytest.raises(signing.SigningError, match="exactly one key"):
        signing_setup.configure(root, armored)


@pytest.mark.parametrize("env", ["../../etc/passwd", "staging/../prod", "Prod", "", "a\nb", "-x"])
def test_hostile_environment_names_never_reach_a_path(env: str) -> None:
    with pytest.raises(signing.SigningError, match="lowercase letters"):
        signing.keyfile(env)


def test_hostile_commit_ids_never_reach_git(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    with pytest.raises(signing.SigningError, match="full commit ids"):
        signing.signatures(root, ["--all"], b"")


def test_argocd_gets_one_keyring_entry_per_committed_key(tmp_path: Path) -> None:
    home = gnupg_home()
    try:
        both = [throwaway_key(home, f"K{i} <k{i}@x.test>") for i in (1, 2)]
        forge = throwaway_key(home, "Forge <noreply@forge.test>")
        armored = "".join(public_key(home, fpr) for fpr in both)
        (tmp_path / "forge.gpg").write_text(public_key(home, forge))
    finally:
        discard(home)
    root = with_promoters(make_repo(tmp_path / "repo"), armored)
    out = tmp_path / "argocd-gpg"
    proc = subprocess.run(
        [sys.executable, "-m", "model.cli", "signing", "argocd-keys", str(out),
         str(tmp_path / "forge.gpg")],
        cwd=root, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # argocd-gpg-keys-cm wants one entry per key, named by its 16-hex key ID.
    want = [*both, forge]
    assert sorted(p.name for p in out.iterdir()) == sorted(fpr[-16:] for fpr in want)
    for fpr in want:
        assert signing.fingerprints((out / fpr[-16:]).read_bytes()) == [fpr]


def test_a_gnupghome_that_does_not_exist_yet_is_created_private(
    tmp_path: Path, release: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, fpr = release
    parent = gnupg_home()
    runner_home = parent / "gnupg"  # GNUPGHOME: ${{ runner.temp }}/gnupg, not made by anyone
    monkeypatch.setenv("GNUPGHOME", str(runner_home))
    try:
        assert signing_setup.configure(make_repo(tmp_path / "repo"), secret_key(home, fpr)) == fpr
        assert stat.S_IMODE(runner_home.stat().st_mode) == 0o700
    finally:
        discard(runner_home)
        discard(parent)


def _signing_key_step(root: Path, secret: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PROMOTION_GPG_KEY": secret}
    return subprocess.run(
        [sys.executable, "-m", "model.cli", "signing", "setup"], cwd=root,
        capture_output=True, text=True, env=env,
    )  # fmt: skip


def test_no_secret_is_fine_only_while_no_promoter_key_is_committed(
    tmp_path: Path, release: tuple[Path, str], ci_home: Path
) -> None:
    home, fpr = release
    bare = make_repo(tmp_path / "bare")
    proc = _signing_key_step(bare, "")
    assert proc.returncode == 0, proc.stderr  # bootstrap: the workflow step may exist already
    assert "unsigned" in proc.stdout
    keyed = with_promoters(make_repo(tmp_path / "keyed"), public_key(home, fpr))
    proc = _signing_key_step(keyed, "")
    assert proc.returncode == 2
    assert "PROMOTION_GPG_KEY" in proc.stderr and ".gitops/promoters/staging.asc" in proc.stderr
