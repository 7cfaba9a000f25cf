"""DVC stage `train`: fit the pipeline, save it as skops and ONNX with its schema."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from model import config
from model.core.schema import CREDIT_CONTRACT, Contract
from model.names import META_FILE, ONNX_FILE, PIN_FILE, SKOPS_FILE


def model_meta(
    cfg: dict[str, Any], skops_sha: str, onnx_sha: str, n_train: int,
    contract: Contract = CREDIT_CONTRACT,
) -> dict[str, Any]:  # fmt: skip
    """What the server and the release need to know about this model, all deterministic."""
    return {
        "format": {"serving": ONNX_FILE, "reference": SKOPS_FILE},
        "sha256": onnx_sha,  # the bytes the server loads; deploys pin this digest
        "skops_sha256": skops_sha,
        "threshold": float(cfg["threshold"]),
        "train_params": cfg,
        "n_train": n_train,
        "contract": contract.to_dict(),
    }


def main(argv: list[str] | None = None) -> int:
    """Fit on `--train` and write the model directory `--out`."""
    from model.core.artifact import bundle_sha256, read_bundle, save_skops, sha256_file
    from model.core.contract_file import load_or_default
    from model.core.dataset import read_raw
    from model.core.export import check_parity, to_onnx_bytes
    from model.core.features import build_pipeline, feature_frame, target

    parser = argparse.ArgumentParser(prog="python -m model.pipeline.train")
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--contract", type=Path, help="a contract.yaml (default: the credit contract in code)"
    )
    parser.add_argument(
        "--params", type=Path, default=config.PARAMS_FILE, help="the params file to read"
    )
    args = parser.parse_args(argv)
    cfg = config.load_params("train", args.params)
    contract = load_or_default(args.contract)
    df = read_raw(args.train)
    features = feature_frame(df, contract)
    pipeline = build_pipeline(cfg, contract).fit(features, target(df, contract))
    args.out.mkdir(parents=True, exist_ok=True)
    skops_sha = save_skops(pipeline, args.out / SKOPS_FILE)
    onnx_bytes = to_onnx_bytes(pipeline, contract)
    gap = check_parity(pipeline, onnx_bytes, features, float(cfg["threshold"]), contract)
    (args.out / ONNX_FILE).write_bytes(onnx_bytes)
    meta = model_meta(cfg, skops_sha, sha256_file(args.out / ONNX_FILE), len(df), contract)
    (args.out / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    # The digest deploys pin: it covers model.json (threshold, contract) as well as the scorer.
    digest = bundle_sha256(read_bundle(args.out))
    (args.out / PIN_FILE).write_text(digest + "\n")
    print(f"trained on {len(df)} rows; model sha256 {digest[:12]}…, max |dp| {gap:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
