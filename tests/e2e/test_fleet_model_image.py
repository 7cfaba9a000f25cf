"""A fleet model's release image under a real Docker engine: the runtime plus one model layer.

Builds the serving runtime from a trained clone (test_container's fixture), trains the churn
fleet model in its folder, then `model fleet image churn --runtime <runtime>`. The image must
be the runtime by digest plus exactly one layer, serve churn (not credit-scoring) under its
name and pin, and score churn's test split as the offline pipeline did.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from model import names
from tests.conftest import ROOT, clone, run
from tests.e2e.test_container import Container, _docker, image  # noqa: F401 (image: a fixture)
from tests.unit.serving_helpers import contract_of, read_rows

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
MODEL = "churn"
LABEL_NAME = "io.credit-scoring.model.name"


def _inspect(docker: str, ref: str) -> dict:
    return json.loads(run([docker, "image", "inspect", ref], ROOT).stdout)[0]


@pytest.fixture(scope="module")
def fleet_ws(origin: Path, dvc_remote: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone where churn is trained in fleet/churn (its data re-created offline)."""
    ws = clone(origin, tmp_path_factory.mktemp("fleet-image") / "ws", dvc_remote)
    run(["model", "fleet", "pull", MODEL], ws)
    run(["dvc", "repro", "--quiet"], ws / "fleet" / MODEL, env={"MODEL_TRACKING": "0"})
    return ws


@pytest.fixture(scope="module")
def built(image: str, fleet_ws: Path) -> tuple[str, str]:  # noqa: F811 (the fixture above)
    """(REF, ID) of churn's release image as `model promote --image` takes it; removed after."""
    out = run(["model", "fleet", "image", MODEL, "--runtime", image, "--repo", str(fleet_ws)], ROOT)
    found = re.search(r"image=(fleet/churn)@(sha256:[0-9a-f]{64})\ntag=(\S+)", out.stdout)
    assert found, out.stdout
    yield found.group(1), found.group(2)
    subprocess.run([_docker(), "rmi", "-f", found.group(3)], capture_output=True, timeout=120)


def test_the_release_is_the_runtime_by_digest_plus_one_layer(
    image: str,  # noqa: F811
    built: tuple[str, str],
    fleet_ws: Path,
) -> None:
    docker = _docker()
    runtime, release = _inspect(docker, image), _inspect(docker, built[1])
    pin = (fleet_ws / "fleet" / MODEL / "models" / names.PIN_FILE).read_text().strip()
    layers = release["RootFS"]["Layers"]
    assert layers[:-1] == runtime["RootFS"]["Layers"] and len(layers) == len(layers[:-1]) + 1
    labels = release["Config"]["Labels"]
    assert (
        labels[names.LABEL_MODEL_SHA256]
        == pin
        != runtime["Config"]["Labels"][names.LABEL_MODEL_SHA256]
    )
    assert labels[LABEL_NAME] == MODEL
    assert labels["org.opencontainers.image.base.digest"] == runtime["Id"]
    assert release["Config"]["User"] == runtime["Config"]["User"] == names.RUNTIME_UID


def test_the_release_serves_its_model_like_offline(built: tuple[str, str], fleet_ws: Path) -> None:
    folder = fleet_ws / "fleet" / MODEL
    pin = (folder / "models" / names.PIN_FILE).read_text().strip()
    container = Container(built[1], {"MODEL_SHA256": pin})
    try:
        container.wait_ready()
        info = httpx.get(f"{container.url}/model", timeout=5).json()
        ready = httpx.get(f"{container.url}/v2/models/{MODEL}/ready", timeout=5)
        rows = read_rows(folder / "artifacts" / "test.csv", contract_of(folder / "models"))
        reply = httpx.post(f"{container.url}/v1/predict", json={"instances": rows}, timeout=30)
    finally:
        container.stop()
    assert (info["name"], info["model_sha256"], ready.status_code) == (MODEL, pin, 200)
    assert reply.status_code == 200, reply.text
    with (folder / "reports" / "predictions.csv").open(newline="") as fh:
        offline = [float(r["proba"]) for r in csv.DictReader(fh)]
    served = [p["probability"] for p in reply.json()["predictions"]]
    assert len(served) == len(offline) > 0
    assert max(abs(a - b) for a, b in zip(served, offline, strict=True)) <= 1e-5


def test_a_runtime_reference_that_is_not_an_image_is_refused(fleet_ws: Path) -> None:
    bad = "credit-scoring:local;touch /tmp/x"
    out = run(
        ["model", "fleet", "image", MODEL, "--runtime", bad, "--repo", str(fleet_ws)],
        ROOT,
        check=False,
    )
    assert out.returncode == 2 and "runtime image" in out.stdout + out.stderr
