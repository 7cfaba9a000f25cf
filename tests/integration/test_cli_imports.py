"""`model --help` stays fast: building the CLI (every command registered) imports no heavy
library; commands import them lazily, inside the function that needs them (issue 12)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

# What a command may need but the CLI's construction must not pay for (each 50 ms to seconds).
HEAVY = {
    "pandas", "numpy", "sklearn", "scipy", "dvc", "mlflow", "onnx", "onnxruntime", "skl2onnx",
    "pandera", "kubernetes", "uvicorn", "httpx", "git", "boto3", "botocore", "matplotlib",
    "prometheus_client", "ruamel", "jinja2", "requests",
}  # fmt: skip
PROBE = (
    "import json, sys; import model.cli.app as app; app._register_commands(); "
    "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
)


def test_building_the_cli_imports_no_heavy_library() -> None:
    # A fresh interpreter: this test process has imported half the world already.
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert "model" in loaded and "typer" in loaded  # the probe did build the CLI
    assert not loaded & HEAVY, sorted(loaded & HEAVY)
