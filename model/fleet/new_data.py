"""Which fleet models have new data: the scan step of the fleet's retraining fan-out.

Labelled snapshots for a fleet model land under `<prefix>/<model>/*.csv` (for example
s3://credit-scoring-data/fleet/churn/2026-11.csv), apart from the default model's
`snapshots/` prefix, whose scan lists recursively. For each model folder in the bucket the
oldest snapshot without a marker is due (model/training/scan.py's rule, one per model per
scan); the list is what the fan-out's `withParam` iterates over. Folder names come from the
bucket, so each is checked as a model name before it can reach a workflow argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.fleet.layout import FleetError, check_name

MAX_MODELS = 1000  # one scan's fan-out; more waits for the next scan


@dataclass(frozen=True)
class Due:
    """The fan-out's input, and the folder names refused as model names."""

    items: list[dict[str, str]]  # [{"model": name, "snapshot": s3 URI}], by model name
    refused: list[str]


def _folders(prefix: str) -> list[str]:
    """The names of the folders directly under an s3:// prefix."""
    import s3fs
    from botocore.exceptions import BotoCoreError, ClientError

    from model.training.scan import SCHEME, BucketError

    if not prefix.startswith(SCHEME) or not prefix.removeprefix(SCHEME).strip("/"):
        raise BucketError(f"expected an s3://bucket/prefix URI; got {prefix!r}")
    path = prefix.removeprefix(SCHEME).rstrip("/")
    try:
        found = s3fs.S3FileSystem(skip_instance_cache=True).ls(path, detail=True)
    except FileNotFoundError:
        return []  # nothing has landed yet: nothing to do, not an error
    except (OSError, ValueError, BotoCoreError, ClientError) as err:  # as scan.py catches
        raise BucketError(f"cannot list {prefix}: {err}; check AWS_ENDPOINT_URL and keys") from err
    return sorted(e["name"].rsplit("/", 1)[-1] for e in found if e.get("type") == "directory")


def due(prefix: str) -> Due:
    """Each model's oldest unmarked snapshot under `prefix`/<model>/ (none: not listed)."""
    from model.training.scan import next_snapshot

    items, refused = [], []
    for folder in _folders(prefix):
        try:
            name = check_name(folder)
        except FleetError:
            refused.append(folder)
            continue
        snapshot = next_snapshot(f"{prefix.rstrip('/')}/{name}")
        if snapshot is not None:
            items.append({"model": name, "snapshot": snapshot})
        if len(items) == MAX_MODELS:
            break
    return Due(items, refused)
