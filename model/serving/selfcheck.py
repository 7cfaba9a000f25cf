"""Check the model the image carries: its digest, then two smoke predictions (onnxruntime only).

The digest is the one releases pin: sha256 over the manifest of model.json + model.onnx.

The PreSync hook runs this inside the new image before Argo CD touches the Deployment;
the PostSync hook runs the `--url` variant against the Service.
"""

from __future__ import annotations

import json
import math
import urllib.request
from pathlib import Path
from typing import Any

# Two applicants far apart on every risk factor: any sane credit model scores RISKY higher.
SAFE = {
    "Seniority": 15,
    "Home": "owner",
    "Time": 36,
    "Age": 45,
    "Marital": "married",
    "Records": "no",
    "Job": "fixed",
    "Expenses": 45,
    "Income": 200.0,
    "Assets": 20000.0,
    "Debt": 0.0,
    "Amount": 600,
    "Price": 1500,
}
RISKY = {
    "Seniority": 0,
    "Home": "rent",
    "Time": 60,
    "Age": 22,
    "Marital": "single",
    "Records": "yes",
    "Job": "partime",
    "Expenses": 90,
    "Income": 60.0,
    "Assets": 0.0,
    "Debt": 3000.0,
    "Amount": 2000,
    "Price": 2100,
}


class SelfCheckError(RuntimeError):
    """The model or server is not fit to serve."""


def check_probabilities(p_safe: float, p_risky: float) -> str:
    """Both finite in [0, 1] and risky > safe; raise otherwise."""
    for name, p in (("safe", p_safe), ("risky", p_risky)):
        if not (math.isfinite(p) and 0.0 <= p <= 1.0):
            raise SelfCheckError(
                f"smoke prediction for the {name} applicant is {p}, not a probability"
            )
    if not p_risky > p_safe:
        raise SelfCheckError(
            f"smoke predictions inverted: risky {p_risky:.4f} <= safe {p_safe:.4f}"
        )
    return f"smoke predictions ok: safe {p_safe:.4f} < risky {p_risky:.4f}"


def check_model(model_dir: Path, expected_sha256: str) -> list[str]:
    """Verify the model's digest, then score the two smoke rows with onnxruntime."""
    import numpy as np
    import onnxruntime as ort

    from model.core.artifact import bundle_sha256, read_bundle
    from model.serving.integrity import parse_pin

    pin = parse_pin(expected_sha256, "the pinned digest")
    if pin.problem:
        raise SelfCheckError(pin.problem)
    files = read_bundle(model_dir)  # the bytes checked are the bytes loaded
    found = bundle_sha256(files)
    if found != pin.digest:
        raise SelfCheckError(
            f"the model (model.json + model.onnx) has sha256 {found}, the manifest pins "
            f"{pin.digest}"
        )
    features = json.loads(files["model.json"])["contract"]["features"]
    session = ort.InferenceSession(files["model.onnx"], providers=["CPUExecutionProvider"])

    def score(row: dict[str, Any]) -> float:
        feed = {
            f["name"]: np.array(
                [[row[f["name"]]]], dtype=object if f["kind"] == "category" else np.float32
            )
            for f in features
        }
        return float(session.run(["probabilities"], feed)[0][0, 1])

    return [f"model sha256 ok: {found}", check_probabilities(score(SAFE), score(RISKY))]


def _post(url: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        return json.loads(resp.read())


def _proba(prediction: Any) -> float:
    if isinstance(prediction, dict):
        for key in ("probability", "proba", "score"):
            if key in prediction:
                return float(prediction[key])
    return float(prediction)


def check_url(base_url: str, timeout: float = 10.0) -> list[str]:
    """Readiness, then the two smoke rows through POST /v1/predict, as a client would."""
    base = base_url.rstrip("/")
    try:
        with urllib.request.urlopen(f"{base}/v2/health/ready", timeout=timeout) as resp:
            ready = f"{base}/v2/health/ready -> {resp.status}"
        out = _post(f"{base}/v1/predict", {"instances": [SAFE, RISKY]}, timeout)
    except OSError as exc:
        raise SelfCheckError(f"{base} did not answer: {exc}") from exc
    predictions = out.get("predictions", out.get("outputs", []))
    if len(predictions) != 2:
        raise SelfCheckError(f"expected 2 predictions from /v1/predict, got {out!r:.300}")
    return [ready, check_probabilities(_proba(predictions[0]), _proba(predictions[1]))]


class NoExpectedDigest(ValueError):
    """Neither --sha256 nor the deploy-time pin gives a usable digest (a usage error)."""


def expected_digest(model_dir: Path, override: str = "") -> str:
    """`override`, else the server's own lookup (MODEL_SHA256, else MODEL_SHA256_FILE)."""
    from model.serving.integrity import pinned_digest

    if override:
        return override.strip()
    pin = pinned_digest(model_dir, require=True)
    if pin.problem:
        raise NoExpectedDigest(f"no usable expected sha256 (or pass --sha256): {pin.problem}")
    return pin.digest


def main(argv: list[str] | None = None) -> int:
    """`python -m model.serving.selfcheck`: what the hooks run (needs only onnxruntime, numpy)."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(prog="python -m model.serving.selfcheck", description=__doc__)
    ap.add_argument("--model-dir", type=Path, default=Path("/app/models"))
    ap.add_argument("--sha256", default="", help="default: $MODEL_SHA256 or $MODEL_SHA256_FILE")
    ap.add_argument("--url", default="", help="check a running server instead")
    args = ap.parse_args(argv)
    try:
        if args.url:
            lines = check_url(args.url)
        else:
            lines = check_model(args.model_dir, expected_digest(args.model_dir, args.sha256))
    except NoExpectedDigest as exc:
        print(f"selfcheck: {exc}", file=sys.stderr)
        return 2
    except (SelfCheckError, OSError, KeyError, ValueError) as exc:
        print(f"selfcheck FAILED: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(f"ok {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
