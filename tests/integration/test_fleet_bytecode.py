"""Running Python in a checkout must not make a fleet model's pipeline stale.

A fleet folder is its own DVC project; it reaches the shared code outside its tree, where its
.dvcignore does not apply. A directory dep there counted the bytecode caches any `model` run
writes (CI runners do not set PYTHONDONTWRITEBYTECODE), so every stage looked changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, run

pytestmark = pytest.mark.integration
MODEL = "churn"


def test_bytecode_in_shared_code_changes_no_fleet_dep(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(["git", "clone", "-q", str(ROOT), str(ws)], tmp_path)
    for code in ("model/core", "model/tracking", "model/pipeline"):
        cache = ws / code / "__pycache__"
        cache.mkdir(exist_ok=True)
        (cache / "probe.cpython-311.pyc").write_bytes(b"\x00bytecode")
    out = run(["dvc", "status", "--json"], ws / "fleet" / MODEL).stdout
    status = json.loads(out or "{}")
    changed = [
        (stage, path)
        for stage, entries in status.items()
        for entry in entries
        if isinstance(entry, dict)
        for path in (entry.get("changed deps") or {})
        if "/model/" in path
    ]
    assert status, "expected the clone to lack the model's outputs (a real status to read)"
    assert not changed, f"bytecode made shared-code deps look changed: {changed}"
