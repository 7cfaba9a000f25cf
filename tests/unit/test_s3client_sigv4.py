"""The stdlib S3 client signs PutObject exactly as botocore does, and addresses it as boto3 does.

No network: botocore's own SigV4 signer (S3SigV4Auth) signs the same request at the same
instant, and boto3's URL for the same object is caught before it is sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from model.s3client import Credentials, S3Client

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 26, 14, 5, 9, tzinfo=UTC)
KEYS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TEMPORARY = Credentials("ASIAEXAMPLE", "c2VjcmV0/with+slash=", "FwoGZXIvYXdzEJr//token+/=")

CASES: list[tuple[str, Credentials, str, str | None, str, str, bytes]] = [
    # id, credentials, region, endpoint, bucket, key, body
    ("aws-virtual", KEYS, "eu-west-1", None, "credit-scoring-samples",
     "prod/pod-a/samples-00000000000000000001-1.jsonl", b'{"ts": 1}\n'),
    ("aws-dotted-bucket-path-style", KEYS, "us-east-1", None, "samples.example.com",
     "a/b.jsonl", b"x" * 5000),
    ("session-token", TEMPORARY, "us-west-2", None, "bucket-1", "k", b""),
    ("moto-loopback", KEYS, "us-east-1", "http://127.0.0.1:5123", "credit-scoring-samples",
     "traffic/host/samples-1.jsonl", b"line\n"),
    ("minio-https-odd-key", TEMPORARY, "eu-central-1", "https://minio.storage.svc:9000",
     "data", "odd key/ü+é=~*(x)!'@$&,;:#?%20[]", b"\x00\xff" * 100),
    ("default-port", KEYS, "ap-south-1", "https://s3.example.test:443", "b-b",
     "plain  spaces ok", b"y"),
]  # fmt: skip


def _botocore_authorization(
    monkeypatch: pytest.MonkeyPatch, creds: Credentials, region: str, request: Any
) -> str:
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW.replace(tzinfo=None))
    unsigned = {k: v for k, v in request.headers.items() if k != "authorization"}
    theirs = AWSRequest(method="PUT", url=request.url, data=request.body, headers=unsigned)
    token = creds.token or None
    signer = botocore.auth.S3SigV4Auth(
        BotoCredentials(creds.access_key, creds.secret_key, token), "s3", region
    )
    signer.add_auth(theirs)
    assert theirs.headers["X-Amz-Content-SHA256"] == request.headers["x-amz-content-sha256"]
    return str(theirs.headers["Authorization"])


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_signature_equals_botocores(monkeypatch: pytest.MonkeyPatch, case: tuple) -> None:
    _, creds, region, endpoint, bucket, key, body = case
    ours = S3Client(creds, region, endpoint).sign(bucket, key, body, NOW)
    assert ours.headers["authorization"] == _botocore_authorization(
        monkeypatch, creds, region, ours
    )
    if creds.token:
        assert ours.headers["x-amz-security-token"] == creds.token


def test_a_changed_byte_changes_the_signature() -> None:
    client = S3Client(KEYS, "us-east-1", "http://127.0.0.1:9")
    one = client.sign("bucket", "k", b"body", NOW).headers["authorization"]
    assert client.sign("bucket", "k", b"bodY", NOW).headers["authorization"] != one
    assert client.sign("bucket", "K", b"body", NOW).headers["authorization"] != one


class _Empty:
    """A response body with nothing in it (the request never leaves the process)."""

    def stream(self) -> list[bytes]:
        return []


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_url_equals_boto3s(case: tuple) -> None:
    import boto3
    from botocore.awsrequest import AWSResponse

    _, creds, region, endpoint, bucket, key, body = case
    seen: list[str] = []

    def capture(request: Any, **_: Any) -> AWSResponse:
        seen.append(request.url)
        return AWSResponse(request.url, 200, {}, _Empty())

    s3 = boto3.client(
        "s3", region_name=region, endpoint_url=endpoint,
        aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key,
    )  # fmt: skip
    s3.meta.events.register("before-send.s3.PutObject", capture)
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    ours = S3Client(creds, region, endpoint).url(bucket, key)
    assert seen == [ours]
