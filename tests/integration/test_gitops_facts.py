"""Model facts at a commit: dvc.lock's md5 pin, bytes from the work tree or the DVC cache."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from model.gitops import facts
from tests.unit.gitops_repo import META_BYTES, MODEL_BYTES, git, make_repo, model_sha256


def test_model_found_in_the_dvc_cache_by_md5_when_not_checked_out(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    for data in (MODEL_BYTES, META_BYTES):
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        cached = repo / ".dvc/cache/files/md5" / md5[:2] / md5[2:]
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(data)
    md5 = hashlib.md5(MODEL_BYTES, usedforsecurity=False).hexdigest()
    shutil.rmtree(repo / "models")
    head = git(repo, "rev-parse", "HEAD").strip()
    assert facts.pinned_md5(repo, head) == md5
    assert facts.model_sha256(repo, head) == model_sha256()
    assert facts.data_md5(repo, head) == "1" * 32 + ".dir"
    assert facts.metrics(repo, head) == {"roc_auc": 0.83, "f1": 0.58, "n_test": 890}


def test_unknown_commit_and_missing_entry_are_explained(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", with_model_entry=False)
    with pytest.raises(facts.FactsError, match=r"dvc\.lock is missing at 0{12}"):
        facts.pinned_md5(repo, "0" * 40)
    with pytest.raises(facts.FactsError, match=r"no entry for models/model\.onnx"):
        facts.pinned_md5(repo, "HEAD")


@pytest.mark.security
def test_the_model_digest_covers_model_json(tmp_path: Path) -> None:
    """Editing the threshold in model.json (issue 11 §5) is a different model."""
    repo = make_repo(tmp_path / "repo")
    head = git(repo, "rev-parse", "HEAD").strip()
    before = facts.model_sha256(repo, head)
    edited = b'{"threshold": 0.01}\n'
    lock = (repo / "dvc.lock").read_text()
    old_md5 = hashlib.md5(META_BYTES, usedforsecurity=False).hexdigest()
    new_md5 = hashlib.md5(edited, usedforsecurity=False).hexdigest()
    (repo / "dvc.lock").write_text(lock.replace(old_md5, new_md5))
    (repo / "models/model.json").write_bytes(edited)
    git(repo, "commit", "-q", "-am", "only the threshold changes")
    after = facts.model_sha256(repo, git(repo, "rev-parse", "HEAD").strip())
    assert before == model_sha256() and after != before
