"""Read objects under an `s3://bucket/prefix` URI (S3, MinIO, GCS interop; moto in tests).

boto3 finds the endpoint and keys itself (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, …). Objects are
fetched by a small thread pool: a drift check reads many small files, and each GET is mostly
waiting on the network.
"""

from __future__ import annotations

import fnmatch
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

SCHEME = "s3://"
READERS = 8  # concurrent GETs; the serving pods' files are 4 MiB at most


class BucketError(ValueError):
    """A malformed URI, or the bucket could not be listed or read; the message says which."""


@dataclass(frozen=True)
class Listed:
    """One object: its key, size and last-modified time (unix seconds)."""

    key: str
    size: int
    modified: float


def is_uri(value: str) -> bool:
    """True for an `s3://…` URI (anything else is a local path)."""
    return value.startswith(SCHEME)


def split_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix")."""
    bucket, _, prefix = uri.removeprefix(SCHEME).partition("/")
    if not is_uri(uri) or not bucket:
        raise BucketError(f"expected an s3://bucket[/prefix] URI; got {uri!r}")
    return bucket, prefix.strip("/")


def _client() -> Any:
    import boto3

    return boto3.client("s3")


def list_objects(uri: str, pattern: str = "*") -> list[Listed]:
    """Objects under the URI's prefix (recursively) whose file name matches `pattern`, by key."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = split_uri(uri)
    found: list[Listed] = []
    try:
        pages = _client().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=bucket, Prefix=f"{prefix}/" if prefix else ""):
            for obj in page.get("Contents", []):
                if fnmatch.fnmatch(obj["Key"].rsplit("/", 1)[-1], pattern):
                    found.append(
                        Listed(obj["Key"], int(obj["Size"]), obj["LastModified"].timestamp())
                    )
    except (BotoCoreError, ClientError) as err:
        raise BucketError(f"cannot list {uri}: {err}; check AWS_ENDPOINT_URL and keys") from err
    return sorted(found, key=lambda o: o.key)


def read_objects(uri: str, keys: list[str]) -> list[bytes]:
    """The bodies of `keys` in the URI's bucket, in order, fetched concurrently."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _ = split_uri(uri)
    s3 = _client()  # boto3 clients are thread-safe; sessions are not

    def get(key: str) -> bytes:
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    try:
        with ThreadPoolExecutor(max_workers=READERS) as pool:
            return list(pool.map(get, keys))
    except (BotoCoreError, ClientError) as err:
        raise BucketError(f"cannot read from {uri}: {err}") from err
