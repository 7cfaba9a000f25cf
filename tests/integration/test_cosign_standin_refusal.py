"""The cosign stand-in's refusals: per subcommand (ACT_STANDIN_COSIGN_REFUSE), per image
(ACT_STANDIN_COSIGN_REFUSE_IMAGE), or both; what act tests of release.yaml's matrix rely on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.act.harness import STANDINS

COSIGN = STANDINS / "cosign-installer" / "cosign"
DIGEST = "@sha256:" + "a" * 64
CHURN, LOAN = f"ghcr.io/acme/fleet/churn{DIGEST}", f"ghcr.io/acme/fleet/loan-default{DIGEST}"


def _sign(tmp_path: Path, ref: str, refusal: dict[str, str]) -> bool:
    """Run `cosign sign --yes REF` as a logged-in job would; True when it was refused."""
    registry = tmp_path / "registry"
    (registry / "auth").mkdir(parents=True, exist_ok=True)
    (registry / "auth" / "ghcr.io").write_text("{}")
    env = {"PATH": os.environ["PATH"], "ACT_STANDIN_REGISTRY": str(registry), **refusal}
    proc = subprocess.run([sys.executable, str(COSIGN), "sign", "--yes", ref], cwd=tmp_path,
                          env=env, capture_output=True, text=True, check=False)  # fmt: skip
    record = json.loads((registry / "cosign.jsonl").read_text().splitlines()[-1])
    assert record["argv"][-1] == ref and record["refused"] == (proc.returncode != 0), proc.stderr
    return bool(record["refused"])


@pytest.mark.parametrize(
    ("refusal", "churn", "loan"),
    [
        ({}, False, False),
        ({"ACT_STANDIN_COSIGN_REFUSE": "sign"}, True, True),
        ({"ACT_STANDIN_COSIGN_REFUSE": "attest"}, False, False),
        ({"ACT_STANDIN_COSIGN_REFUSE_IMAGE": "fleet/loan-default"}, False, True),
        ({"ACT_STANDIN_COSIGN_REFUSE": "sign",
          "ACT_STANDIN_COSIGN_REFUSE_IMAGE": "fleet/loan-default"}, False, True),
        ({"ACT_STANDIN_COSIGN_REFUSE": "attest",
          "ACT_STANDIN_COSIGN_REFUSE_IMAGE": "fleet/loan-default"}, False, False),
    ],
)  # fmt: skip
def test_cosign_standin_refuses_only_what_its_variables_name(
    tmp_path: Path, refusal: dict[str, str], churn: bool, loan: bool
) -> None:
    assert (_sign(tmp_path, CHURN, refusal), _sign(tmp_path, LOAN, refusal)) == (churn, loan)
