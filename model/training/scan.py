"""The bucket scan behind the new-data trigger: which labelled snapshot has not been submitted.

Snapshots are `*.csv` objects under a prefix (for example s3://credit-scoring-data/snapshots).
Each submitted one gets a marker object `<key>.submitted` beside it, written only after the
Workflow was created, so a failed submission is retried by the next scan (at least once);
the oldest unmarked snapshot goes first, one per scan, so snapshots retrain in order.
Through s3fs (in the trainer image for dvc-s3), which finds the endpoint and keys itself
(AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, …).
"""

from __future__ import annotations

from typing import Any

SCHEME = "s3://"
SNAPSHOT_SUFFIX = ".csv"
MARK = ".submitted"


class BucketError(RuntimeError):
    """The URI is malformed, or the bucket could not be listed or written."""


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix(SCHEME).partition("/")
    if not uri.startswith(SCHEME) or not bucket:
        raise BucketError(f"expected an s3://bucket/prefix URI; got {uri!r}")
    return bucket, key.strip("/")


def _fs() -> Any:
    import s3fs

    return s3fs.S3FileSystem(skip_instance_cache=True)


def _errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (OSError, ValueError, BotoCoreError, ClientError)


def _objects(bucket: str, prefix: str) -> list[tuple[str, float]]:
    """(key, last-modified) of every object under the prefix."""
    try:
        found = _fs().find(f"{bucket}/{prefix}".rstrip("/"), detail=True)
    except _errors() as err:
        raise BucketError(
            f"cannot list s3://{bucket}/{prefix}: {err}; check AWS_ENDPOINT_URL and the keys"
        ) from err
    return [
        (path.split("/", 1)[1], info["LastModified"].timestamp()) for path, info in found.items()
    ]


def next_snapshot(prefix: str) -> str | None:
    """The URI of the oldest snapshot under `prefix` without a marker, or None."""
    bucket, path = _split(prefix)
    objects = _objects(bucket, path)
    marked = {key.removesuffix(MARK) for key, _ in objects if key.endswith(MARK)}
    fresh = [(t, k) for k, t in objects if k.endswith(SNAPSHOT_SUFFIX) and k not in marked]
    if not fresh:
        return None
    _, oldest = min(fresh)  # oldest first; the key breaks a tie
    return f"{SCHEME}{bucket}/{oldest}"


def mark(snapshot: str) -> str:
    """Record that `snapshot` was submitted; return the marker's URI."""
    bucket, key = _split(snapshot)
    if not key.endswith(SNAPSHOT_SUFFIX):
        raise BucketError(
            f"expected an s3:// URI of a *{SNAPSHOT_SUFFIX} snapshot; got {snapshot!r}"
        )
    try:
        _fs().pipe(f"{bucket}/{key}{MARK}", b"")
    except _errors() as err:
        raise BucketError(f"cannot write the marker for {snapshot}: {err}") from err
    return snapshot + MARK
