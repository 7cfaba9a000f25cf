"""Read objects under an `s3://bucket/prefix` URI (S3, MinIO, GCS interop; moto in tests).

Through s3fs, which the trainer image has (the `s3` extra, for dvc-s3); it finds the endpoint
and keys itself (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, …) and fetches many objects
concurrently: a drift check reads many small files, each GET mostly waiting on the network.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

SCHEME = "s3://"


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


def _fs() -> Any:
    import s3fs

    return s3fs.S3FileSystem(skip_instance_cache=True)  # no listing cached across calls


def _errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (OSError, ValueError, BotoCoreError, ClientError)


def list_objects(uri: str, pattern: str = "*") -> list[Listed]:
    """Objects under the URI's prefix (recursively) whose file name matches `pattern`, by key."""
    bucket, prefix = split_uri(uri)
    try:
        found = _fs().find(f"{bucket}/{prefix}".rstrip("/"), detail=True)
    except _errors() as err:
        raise BucketError(f"cannot list {uri}: {err}; check AWS_ENDPOINT_URL and keys") from err
    return sorted(
        (
            Listed(path.split("/", 1)[1], int(info["size"]), info["LastModified"].timestamp())
            for path, info in found.items()
            if fnmatch.fnmatch(path.rsplit("/", 1)[-1], pattern)
        ),
        key=lambda o: o.key,
    )


def read_objects(uri: str, keys: list[str]) -> list[bytes]:
    """The bodies of `keys` in the URI's bucket, in order, fetched concurrently."""
    bucket, _ = split_uri(uri)
    paths = [f"{bucket}/{k}" for k in keys]
    try:
        bodies = _fs().cat(paths)
    except _errors() as err:
        raise BucketError(f"cannot read from {uri}: {err}") from err
    return [bytes(bodies[p]) for p in paths]
