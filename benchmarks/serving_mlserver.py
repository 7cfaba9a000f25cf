"""MLServer with mlserver-sklearn on the same model and row: the issue's second anchor.

MLServer runs from its own venv (`make serving-bench-env` builds it from the hashed lock in
benchmarks/mlserver/), because its pins are not the project's. It serves the trained sklearn
pipeline as joblib, the format its runtime loads, in one process (`parallel_workers: 0`, as
our server and `mlflow models serve -w 1` run one worker), and takes the Open Inference
Protocol request KServe clients send with the pandas codec. We ask for `predict_proba`, the
probabilities our server returns.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import httpx
from serving import JSON_TYPE, Proc, free_port, wrk
from serving_oip import MODEL, checked

from model.core.schema import Contract

DATATYPES = {"category": "BYTES", "int": "INT64", "float": "FP64"}


def infer_body(contract: Contract, row: dict[str, Any]) -> bytes:
    """One row as OIP tensors, pandas codec; categories as strings (`str` content type)."""
    inputs = []
    for col in contract.features:
        tensor: dict[str, Any] = {
            "name": col.name,
            "datatype": DATATYPES[col.kind],
            "shape": [1],
            "data": [row[col.name]],
        }
        if col.kind == "category":
            tensor["parameters"] = {"content_type": "str"}
        inputs.append(tensor)
    request = {"parameters": {"content_type": "pd"}, "inputs": inputs,
               "outputs": [{"name": "predict_proba"}]}  # fmt: skip
    return json.dumps(request).encode()


def _repository(model_dir: Path, root: Path, http: int) -> None:
    """MLServer's settings.json and model-settings.json, and the pipeline as joblib."""
    import joblib

    from model.core.artifact import load_skops

    joblib.dump(load_skops(model_dir / "model.skops"), root / "model.joblib")
    settings = {"host": "127.0.0.1", "http_port": http, "grpc_port": free_port(),
                "metrics_port": free_port(), "parallel_workers": 0}  # fmt: skip
    (root / "settings.json").write_text(json.dumps(settings))
    model = {"name": MODEL, "implementation": "mlserver_sklearn.SKLearnModel",
             "parameters": {"uri": "./model.joblib", "version": "v1"}}  # fmt: skip
    (root / "model-settings.json").write_text(json.dumps(model))


def bench_mlserver(
    venv: Path, model_dir: Path, row: dict[str, Any], duration: int
) -> dict[str, float]:
    """Start `mlserver start` on a free port; time start->ready, check one answer, wrk it."""
    mlserver = venv / "bin" / "mlserver"
    if not mlserver.is_file():
        raise SystemExit(f"{mlserver} is missing: run `make serving-bench-env` first")
    contract = Contract.from_dict(json.loads((model_dir / "model.json").read_text())["contract"])
    body = infer_body(contract, row)
    with tempfile.TemporaryDirectory() as tmp:
        http = free_port()
        _repository(model_dir, Path(tmp), http)
        proc = Proc([str(mlserver), "start", tmp])
        base = f"http://127.0.0.1:{http}/v2/models/{MODEL}"
        try:
            start = proc.ready(f"{base}/ready", 180)
            reply = httpx.post(f"{base}/infer", content=body, headers=JSON_TYPE, timeout=30)
            output = reply.json()["outputs"][0] if reply.status_code == 200 else {}
            if output.get("name") != "predict_proba" or len(output.get("data", ())) != 2:
                raise RuntimeError(f"MLServer answered {reply.status_code}: {reply.text[:300]}")
            return {"start_s": start, **checked(wrk(f"{base}/infer", body, duration), "mlserver")}
        finally:
            proc.stop()
