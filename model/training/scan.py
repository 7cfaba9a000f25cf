"""The bucket scan behind the new-data trigger: which labelled snapshot has not been submitted.

Snapshots are `*.csv` objects under a prefix (for example s3://credit-scoring-data/snapshots).
Each submitted one gets a marker object `<key>.submitted` beside it, written only after the
Workflow was created, so a failed submission is retried by the next scan (at least once);
the oldest unmarked snapshot goes first, one per scan, so snapshots retrain in order.
boto3 finds the endpoint and keys itself (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, …).
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


def _client() -> Any:
    import boto3

    return boto3.client("s3")


def _objects(bucket: str, prefix: str) -> list[dict[str, Any]]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        pages = _client().get_paginator("list_objects_v2")
        listed = pages.paginate(Bucket=bucket, Prefix=f"{prefix}/" if prefix else "")
        return [obj for page in listed for obj in page.get("Contents", [])]
    except (BotoCoreError, ClientError) as err:
        raise BucketError(
            f"cannot list s3://{bucket}/{prefix}: {err}; check AWS_ENDPOINT_URL and the keys"
        ) from err


def next_snapshot(prefix: str) -> str | None:
    """The URI of the oldest snapshot under `prefix` without a marker, or None."""
    bucket, path = _split(prefix)
    objects = _objects(bucket, path)
    marked = {o["Key"].removesuffix(MARK) for o in objects if o["Key"].endswith(MARK)}
    fresh = [o for o in objects if o["Key"].endswith(SNAPSHOT_SUFFIX) and o["Key"] not in marked]
    if not fresh:
        return None
    oldest = min(fresh, key=lambda o: (o["LastModified"], o["Key"]))
    return f"{SCHEME}{bucket}/{oldest['Key']}"


def mark(snapshot: str) -> str:
    """Record that `snapshot` was submitted; return the marker's URI."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = _split(snapshot)
    if not key.endswith(SNAPSHOT_SUFFIX):
        raise BucketError(
            f"expected an s3:// URI of a *{SNAPSHOT_SUFFIX} snapshot; got {snapshot!r}"
        )
    try:
        _client().put_object(Bucket=bucket, Key=key + MARK, Body=b"")
    except (BotoCoreError, ClientError) as err:
        raise BucketError(f"cannot write the marker for {snapshot}: {err}") from err
    return snapshot + MARK
