"""An S3 API on 127.0.0.1 (moto server) with the bucket the project's s3 remote uses."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

BUCKET = "credit-scoring-dvc"  # .dvc/config: s3://credit-scoring-dvc/store
PREFIX = "store"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def serve_s3() -> Iterator[str]:
    """Run moto's S3 server on a free loopback port with BUCKET created; yield its URL."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        client(url).create_bucket(Bucket=BUCKET)
        yield url
    finally:
        server.stop()


def client(url: str):  # type: ignore[no-untyped-def]  # boto3 ships no types
    """A boto3 S3 client for the server at `url`."""
    import boto3

    return boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip


def put_dvc_object(url: str, md5: str, data: bytes) -> None:
    """Store `data` where DVC 3 keeps an md5-addressed file in the s3 remote."""
    client(url).put_object(Bucket=BUCKET, Key=f"{PREFIX}/files/md5/{md5[:2]}/{md5[2:]}", Body=data)


def delete_dvc_objects(url: str, md5s: set[str]) -> None:
    """Remove md5-addressed files from the s3 remote (the session's server is shared)."""
    s3 = client(url)
    for md5 in md5s:
        s3.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/files/md5/{md5[:2]}/{md5[2:]}")
