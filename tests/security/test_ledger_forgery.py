"""Issue 11 §1: nobody forges the ledger through `model promote`; a forged commit is reported.

Each attack below was reproduced against main: a newline or a separator byte in a value that
becomes a trailer wrote extra trailers (relabel an environment, replace the block, hide a
promotion, impersonate an approver) and `model audit verify` still said "all checked links hold".
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from model.cli.app import _register_commands, app
from model.cli.console import EXIT_FAILED, EXIT_USAGE
from model.gitops import audit
from model.gitops.trailers import KEYS, Release, message
from tests.sample_release import RELEASE
from tests.unit.gitops_repo import git, make_repo

pytestmark = [pytest.mark.integration, pytest.mark.security]  # real git commits
GOOD = "ghcr.io/org/credit-scoring@sha256:" + "b" * 64
EVIL_DIGEST = "sha256:" + "e" * 64
_register_commands()

HOSTILE = [
    "x\nEnvironment: prod",  # relabel the environment
    "x\n\nEnvironment: prod\nImage: evil.example/x\nImage-Digest: " + EVIL_DIGEST,  # new block
    "x\n\nthis paragraph hides the trailer block",  # hide the promotion
    "Mallory\nPromoted-By: Ada <ada@bank.example>",  # impersonate an approver
    "x\x1eEnvironment: prod",  # our own pair separator
    "x\x1fy",  # our own field separator
    "x\x1dy",
    "x\ry",
    "x\x1b[31my",  # terminal escape
    "x\u2028y",  # Unicode line separator
    "x\u200ey",  # invisible format character
]


@pytest.fixture(autouse=True)
def _identity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL_REGISTRY", "0")
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Ada")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "ada@example.test")


def _cli(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--repo", str(repo)])
    return result.exit_code, " ".join(result.output.split())


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


TRAILER_OPTIONS = ["--promoted-by", "--source-pr", "--model-version"]
REFUSED = [
    *[(option, value) for option in TRAILER_OPTIONS for value in HOSTILE],
    ("--source-pr", "12abc"),
    ("--source-pr", "-1"),
    ("--source-pr", "#12"),
    ("--model-version", "v1 beta"),
    ("--model-version", "v1;rm -rf /"),
    ("--model-version", "../../etc"),
    ("--model-version", "v" * 200),
]


@pytest.mark.parametrize(
    ("option", "value"), REFUSED, ids=[f"{option}-{i}" for i, (option, _) in enumerate(REFUSED)]
)
def test_control_characters_and_unsafe_charsets_in_trailer_values_are_refused(
    tmp_path: Path, option: str, value: str
) -> None:
    """Control characters anywhere; a source PR of digits (or none); a safe version charset."""
    repo = make_repo(tmp_path / "repo")
    before = _head(repo)
    code, output = _cli(repo, "promote", "staging", "--image", GOOD, option, value)
    assert code == EXIT_USAGE, output
    assert option.removeprefix("--") in output  # the error names what to fix
    assert _head(repo) == before and git(repo, "status", "--porcelain") == ""


def test_ordinary_values_still_promote(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    args = ["--source-pr", "42", "--model-version", "1.4.0+build.7", "--promoted-by", "Zoë <z@x>"]
    code, output = _cli(repo, "promote", "staging", "--image", GOOD, *args)
    assert code == 0, output
    (entry,) = audit.ledger(repo)
    assert (entry.release.source_pr, entry.release.model_version) == ("42", "1.4.0+build.7")
    assert entry.release.promoted_by == "Zoë <z@x>"


def _hand_commit(repo: Path, msg: str) -> str:
    """A commit written without `model promote`, as anyone with push access could."""
    _git_in(repo, "commit", "-q", "--allow-empty", "--cleanup=verbatim", "-F", "-", stdin=msg)
    return _head(repo)


def _git_in(repo: Path, *args: str, stdin: str) -> None:
    subprocess.run(["git", *args], cwd=repo, input=stdin, text=True, check=True)


def _unchecked(release: Release, extra: str = "") -> str:
    """A promotion message built by hand, bypassing every check `model promote` makes."""
    values = release.as_dict()
    lines = [f"{key}: {values[name]}" for name, key in KEYS.items() if values[name]]
    return "promote staging\n\n" + "\n".join(lines) + "\n" + extra


FORGED = {
    "relabel": _unchecked(RELEASE, "Environment: prod\n"),
    "impersonate": _unchecked(RELEASE, "Promoted-By: Ada <ada@bank.example>\n"),
    "lower-case repeat": _unchecked(RELEASE, "environment: prod\n"),
    "separator": _unchecked(RELEASE.with_(promoted_by="Mallory\x1eEnvironment: prod")),
    "field separator": _unchecked(RELEASE.with_(promoted_by="Mallory\x1fx\x1dy")),
    "swap digest": _unchecked(RELEASE, f"Image-Digest: {EVIL_DIGEST}\n"),
    "missing digest": _unchecked(RELEASE.with_(image_digest="")),
    "unknown env": _unchecked(RELEASE.with_(environment="qa")),
    "bad source pr": _unchecked(RELEASE.with_(source_pr="12; drop")),
    "bad digest": _unchecked(RELEASE.with_(image_digest="sha256:abc")),
}


@pytest.mark.parametrize("kind", list(FORGED))
def test_a_forged_commit_is_reported_as_malformed_not_trusted(tmp_path: Path, kind: str) -> None:
    repo = make_repo(tmp_path / "repo")
    good = _hand_commit(repo, _unchecked(RELEASE))
    forged = _hand_commit(repo, FORGED[kind])
    book = audit.read(repo)
    assert [e.commit for e in book.entries] == [good]  # the forged values are never trusted
    assert [m.commit for m in book.malformed] == [forged]
    code, output = _cli(repo, "audit")
    assert code == EXIT_FAILED and f"malformed promotion commit {forged[:12]}" in output
    code, output = _cli(repo, "audit", "verify", "--no-docker")
    assert code == EXIT_FAILED and "BROKEN" in output and forged[:12] in output


def test_a_repeated_key_names_the_key(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    forged = _hand_commit(repo, FORGED["relabel"])
    (bad,) = audit.read(repo).malformed
    assert bad.commit == forged and "Environment" in bad.reason and "repeat" in bad.reason


def test_a_promotion_hidden_behind_a_paragraph_is_caught_by_verify(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    code, output = _cli(repo, "promote", "staging", "--image", GOOD)
    assert code == 0, output
    kustomization = repo / "k8s/overlays/staging/kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("b" * 64, "e" * 64))
    hidden = message("promote staging", "", RELEASE.with_(image_digest=EVIL_DIGEST))
    _git_in(repo, "commit", "-q", "-a", "-F", "-", stdin=hidden + "\nnot a trailer any more\n")
    code, output = _cli(repo, "audit", "verify", "--no-docker")
    assert code == EXIT_FAILED and f"found {EVIL_DIGEST}" in output
