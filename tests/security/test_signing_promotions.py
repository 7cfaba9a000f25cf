"""Issue 11 §2: promotion commits are signed, and `audit verify` checks them against the
public keys committed in .gitops/promoters/<env>.asc. Real gpg keyrings in temp homes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from model.demo.keys import (
    discard,
    gnupg_home,
    public_key,
    revoked,
    secret_key,
    throwaway_key,
)
from model.gitops import overlay
from model.gitops.promote import PromoteError, Request, promote
from model.gitops.rollback import rollback
from model.gitops.trailers import Release, message
from model.gitops.verify import BROKEN, OK, SKIPPED, Link, verify
from tests.unit.gitops_repo import git, make_repo, model_sha256

pytestmark = [pytest.mark.e2e, pytest.mark.security]
IMAGE = "ghcr.io/org/credit-scoring"


def digest(i: int) -> str:
    return "sha256:" + f"{i:02d}" * 32


@dataclass(frozen=True)
class Keys:
    """One GNUPGHOME holding three secret keys: staging's, prod's and a stranger's."""

    home: Path
    staging: str
    prod: str
    stranger: str


@pytest.fixture(scope="module")
def keys() -> Iterator[Keys]:
    home = gnupg_home()
    try:
        yield Keys(
            home,
            throwaway_key(home, "Release Staging <staging@release.test>"),
            throwaway_key(home, "Release Prod <prod@release.test>"),
            throwaway_key(home, "Mallory <mallory@evil.test>"),
        )
    finally:
        discard(home)  # stops the gpg-agent signing started


@pytest.fixture
def repo(tmp_path: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repo whose promotions must be signed: staging by one key, prod by another."""
    monkeypatch.setenv("GNUPGHOME", str(keys.home))
    monkeypatch.setenv("MODEL_REGISTRY", "0")
    root = make_repo(tmp_path / "repo")
    git(root, "config", "user.name", "Release Bot")
    git(root, "config", "user.email", "release@release.test")
    promoters = root / ".gitops" / "promoters"
    promoters.mkdir(parents=True)
    (promoters / "staging.asc").write_text(public_key(keys.home, keys.staging))
    (promoters / "prod.asc").write_text(public_key(keys.home, keys.prod))
    git(root, "add", ".gitops")
    git(root, "commit", "-q", "-m", "promoters: staging and prod keys")
    return root


def sign_with(root: Path, fingerprint: str) -> None:
    """Git's own configuration, exactly what `make git-signing-key` sets in CI."""
    git(root, "config", "user.signingkey", fingerprint)


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def signature_links(root: Path, env: str) -> list[Link]:
    return [
        link for link in verify(root, (env,), use_docker=False) if "signature" in link.name.lower()
    ]


def forged(root: Path, env: str, i: int, *sign: str) -> str:
    """A promotion commit made by hand (no `model promote`), signed or not: what an attacker
    with push access but without the release key can produce."""
    release = Release(
        environment=env, model_version=f"v{i}", model_sha256=model_sha256(), data_md5="1" * 32,
        image=IMAGE, image_digest=digest(i), source_commit=head(root),
    )  # fmt: skip
    written = overlay.write(root, env, release)
    git(root, "add", *[str(p.relative_to(root)) for p in written])
    git(root, "-c", "commit.gpgsign=false", "commit", "-q", *sign, "-m",
        message(f"promote {env}: v{i}", "", release))  # fmt: skip
    return head(root)


def test_promotion_signed_by_the_allowed_key_verifies(repo: Path, keys: Keys) -> None:
    sign_with(repo, keys.staging)
    promote(repo, Request(env="staging", image_ref=f"{IMAGE}@{digest(1)}"))
    assert git(repo, "log", "-1", "--format=%G?").strip() == "G"  # signed, by git itself
    links = signature_links(repo, "staging")
    assert [link.status for link in links] == [OK], links
    assert keys.staging[-16:] in links[0].detail


def test_rollback_is_signed_too(repo: Path, keys: Keys) -> None:
    sign_with(repo, keys.staging)
    for i in (1, 2):
        promote(repo, Request(env="staging", image_ref=f"{IMAGE}@{digest(i)}"))
    rollback(repo, "staging")
    assert "Rollback-Of:" in git(repo, "log", "-1", "--format=%B")
    assert [link.status for link in signature_links(repo, "staging")] == [OK]


def test_unsigned_promotion_is_a_broken_link(repo: Path) -> None:
    sha = forged(repo, "staging", 3)
    links = signature_links(repo, "staging")
    assert [link.status for link in links] == [BROKEN], links
    assert sha[:12] in links[0].name + links[0].detail
    assert "unsigned" in links[0].detail


def test_promotion_signed_by_an_unknown_key_is_a_broken_link(repo: Path, keys: Keys) -> None:
    sha = forged(repo, "staging", 4, f"-S{keys.stranger}")
    links = signature_links(repo, "staging")
    assert [link.status for link in links] == [BROKEN], links
    assert sha[:12] in links[0].name + links[0].detail
    assert keys.stranger[-16:] in links[0].detail  # says WHICH key, so it can be chased


def test_staging_key_cannot_sign_a_prod_promotion(repo: Path, keys: Keys) -> None:
    sign_with(repo, keys.staging)
    promote(repo, Request(env="staging", image_ref=f"{IMAGE}@{digest(5)}"))
    forged(repo, "prod", 5, f"-S{keys.staging}")
    assert [link.status for link in signature_links(repo, "staging")] == [OK]
    assert [link.status for link in signature_links(repo, "prod")] == [BROKEN]


def test_prod_promotion_signed_by_the_prod_key_verifies(repo: Path, keys: Keys) -> None:
    sign_with(repo, keys.staging)
    promote(repo, Request(env="staging", image_ref=f"{IMAGE}@{digest(6)}"))
    sign_with(repo, keys.prod)
    promote(repo, Request(env="prod", image_ref=f"{IMAGE}@{digest(6)}"))
    assert [link.status for link in signature_links(repo, "prod")] == [OK]


def test_promote_with_a_key_the_env_does_not_allow_commits_nothing(repo: Path, keys: Keys) -> None:
    sign_with(repo, keys.stranger)
    before = head(repo)
    with pytest.raises(PromoteError, match=r"\.gitops/promoters/staging\.asc") as err:
        promote(repo, Request(env="staging", image_ref=f"{IMAGE}@{digest(7)}"))
    assert keys.stranger[-16:] in str(err.value)
    assert head(repo) == before
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""


def test_promote_without_any_signing_key_commits_nothing(repo: Path) -> None:
    empty = gnupg_home()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("GNUPGHOME", str(empty))
            before = head(repo)
            with pytest.raises(PromoteError, match=r"user\.signingkey"):
                promote(repo, Request(env="staging", image_ref=f"{IMAGE}@{digest(8)}"))
            assert head(repo) == before
    finally:
        discard(empty)


def test_without_a_promoters_file_signatures_are_not_required(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "plain")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MODEL_REGISTRY", "0")
        promote(root, Request(env="staging", image_ref=f"{IMAGE}@{digest(9)}"))
    links = signature_links(root, "staging")
    assert [link.status for link in links] == [SKIPPED], links
    assert ".gitops/promoters/staging.asc" in links[0].detail


def test_deleting_the_promoters_file_does_not_switch_checking_off(repo: Path, keys: Keys) -> None:
    sign_with(repo, keys.staging)
    promote(repo, Request(env="staging", image_ref=f"{IMAGE}@{digest(10)}"))
    git(repo, "rm", "-q", ".gitops/promoters/staging.asc")
    git(repo, "commit", "-q", "-m", "drop the key")
    forged(repo, "staging", 11)
    links = signature_links(repo, "staging")
    assert BROKEN in [link.status for link in links], links
    assert any("removed" in link.detail for link in links)


def test_a_private_key_committed_as_a_promoter_key_is_refused(repo: Path, keys: Keys) -> None:
    sign_with(repo, keys.staging)
    promote(repo, Request(env="staging", image_ref=f"{IMAGE}@{digest(12)}"))
    (repo / ".gitops/promoters/staging.asc").write_text(secret_key(keys.home, keys.staging))
    git(repo, "commit", "-q", "-am", "oops: the secret half")
    links = signature_links(repo, "staging")
    assert [link.status for link in links] == [BROKEN], links
    assert "PRIVATE KEY" in links[0].detail


def test_a_garbage_promoters_file_is_a_broken_link_not_a_crash(repo: Path) -> None:
    (repo / ".gitops/promoters/staging.asc").write_bytes(b"\xff\xfe not a key \x00\n")
    git(repo, "commit", "-q", "-am", "garbage")
    forged(repo, "staging", 13)
    links = signature_links(repo, "staging")
    assert [link.status for link in links] == [BROKEN], links
    assert "no public key" in links[0].detail


def test_a_promotion_rebased_over_a_rivals_push_stays_signed(
    repo: Path, keys: Keys, tmp_path: Path
) -> None:
    from model.gitops.land import land
    from model.gitops.promote import commit_release, staging_release
    from tests.unit.gitops_repo import with_origin

    with_origin(repo, tmp_path / "origin.git")
    rival = tmp_path / "rival"
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(rival))
    sign_with(repo, keys.staging)
    req = Request(env="staging", image_ref=f"{IMAGE}@{digest(14)}", push=True)
    calls: list[str] = []

    def apply() -> str | None:
        if not calls:  # a rival lands a docs commit between our fetch and our push
            (rival / "NOTES.md").write_text("a rival's unrelated commit\n")
            git(rival, "add", "NOTES.md")
            git(rival, "-c", "user.name=R", "-c", "user.email=r@x.test", "commit", "-qm", "notes")
            git(rival, "push", "-q", "origin", "main")
        calls.append("apply")
        release = staging_release(repo, req, IMAGE, digest(14), head(repo))
        return commit_release(repo, release, "promote staging")

    landed = land(repo, apply, push=True, remote="origin", branch="main")
    assert landed.attempts == 2 and calls == ["apply"]  # rebased, not re-applied
    assert git(repo, "log", "-1", "--format=%s%n%P").splitlines()[1] == head(rival)
    assert [link.status for link in signature_links(repo, "staging")] == [OK]


def test_promotions_by_a_revoked_key_turn_broken(repo: Path) -> None:
    home = gnupg_home()
    try:
        fpr = throwaway_key(home, "Leaked <leaked@release.test>")
        (repo / ".gitops/promoters/staging.asc").write_text(public_key(home, fpr))
        git(repo, "commit", "-q", "-am", "promoters: a key that will leak")
        sign_with(repo, fpr)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("GNUPGHOME", str(home))
            promote(repo, Request(env="staging", image_ref=f"{IMAGE}@{digest(15)}"))
        sha = head(repo)
        assert [link.status for link in signature_links(repo, "staging")] == [OK]
        # The compromise procedure: merge the key's revocation into the committed file.
        (repo / ".gitops/promoters/staging.asc").write_text(revoked(home, fpr))
        git(repo, "commit", "-q", "-am", "promoters: revoke the leaked key")
    finally:
        discard(home)
    links = signature_links(repo, "staging")
    assert [link.status for link in links] == [BROKEN], links
    assert sha[:12] in links[0].detail and "revoked" in links[0].detail


def test_audit_verify_exits_1_and_names_the_unsigned_promotion(repo: Path) -> None:
    from typer.testing import CliRunner

    from model.cli.app import _register_commands, app

    _register_commands()
    sha = forged(repo, "staging", 16)
    result = CliRunner().invoke(app, ["audit", "verify", "--no-docker", "--repo", str(repo)])
    assert result.exit_code == 1, result.output
    assert f"signature of {sha[:12]}" in result.output and "unsigned" in result.output


def test_the_demos_loop_signed_end_to_end(repo: Path, keys: Keys, tmp_path: Path) -> None:
    """staging --push, prod via a promotion branch merged with --no-ff, prod rollback --push:
    every promotion verifies and audit verify has no broken signature link."""
    from tests.unit.gitops_repo import with_origin

    with_origin(repo, tmp_path / "origin.git")
    (repo / ".gitops/promoters/prod.asc").write_text(public_key(keys.home, keys.staging))
    git(repo, "commit", "-qam", "promoters: one release key for both environments (the demo)")
    git(repo, "push", "-q", "origin", "main")
    sign_with(repo, keys.staging)
    git(repo, "config", "commit.gpgsign", "true")  # what `make git-signing-key` sets
    for i in (17, 18):
        promote(repo, Request(env="staging", image_ref=f"{IMAGE}@{digest(i)}", push=True))
        _, landed = promote(repo, Request(env="prod", image_ref=f"{IMAGE}@{digest(i)}", push=True))
        branch = landed.pushed_to.removeprefix("origin/")  # type: ignore[union-attr]
        git(repo, "checkout", "-q", "main")
        git(repo, "fetch", "-q", "origin")
        git(repo, "merge", "-q", "--no-ff", "-m", f"Merge {branch}", f"origin/{branch}")
        git(repo, "push", "-q", "origin", "main")
    rollback(repo, "prod", push=True)
    for env in ("staging", "prod"):
        links = signature_links(repo, env)
        assert [link.status for link in links] == [OK], links
    assert "3 promotion(s)" in signature_links(repo, "prod")[0].detail
