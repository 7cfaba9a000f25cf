"""GET /model: what a client or an auditor needs to know about the served model."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from model.serving.app import ModelServer


def model_info(server: ModelServer) -> dict[str, Any]:
    """Version, provenance, the verified digest, training metrics, features and limits."""
    features = [
        {"name": c.name, "kind": c.kind, "nullable": c.nullable, "categories": list(c.categories)}
        for c in server.schema.contract.features
    ]
    limits = asdict(server.limits)
    return {
        "name": server.name,
        "version": server.version,
        "git_commit": server.info.get("git_commit"),
        "data_md5": server.info.get("data_md5"),
        # the digest over model.json + model.onnx, as releases pin it
        "model_sha256": server.integrity.actual,
        "sha256_verified_against": server.integrity.source,
        "threshold": server.threshold,
        "train_params": server.meta.get("train_params"),
        "n_train": server.meta.get("n_train"),
        "metrics": server.info.get("metrics") or {},
        "features": features,
        "limits": {
            "max_rows": limits.pop("max_rows"),
            "max_body_bytes": limits.pop("max_body"),
            **limits,
        },
    }
