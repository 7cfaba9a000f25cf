"""The stdlib S3 client refuses hostile keys, buckets, endpoints and credentials before sending.

A key must not escape its prefix through `..` or inject a header; an endpoint must be plain
http(s) to a host (no credentials, paths, other schemes, metadata addresses); a redirect is
never followed; and errors or reprs never show the secret.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from model import s3client
from model.s3client import Credentials, S3Client, S3Error, check_endpoint

pytestmark = [pytest.mark.unit, pytest.mark.security]
KEYS = Credentials("AKIDEXAMPLE", "very-secret-key")


@pytest.mark.parametrize(
    "key",
    [
        "", "../other-prefix/x", "prefix/../../x", "a/./b", "a//b", "/leading", "trailing/",
        "new\nline", "carriage\r\nX-Injected: 1", "nul\x00", "esc\x1b[31m", "line\u2028sep",
        "c1\x85control", "x" * 1025, "é" * 513,
    ],
)  # fmt: skip
def test_hostile_keys_are_refused(key: str) -> None:
    with pytest.raises(S3Error):
        S3Client(KEYS, endpoint="http://127.0.0.1:9").sign("bucket", key, b"")


def test_odd_but_legal_keys_are_encoded_not_refused() -> None:
    url = S3Client(KEYS, endpoint="http://127.0.0.1:9").url("bucket", "a b/%2e%2e/?#ü")
    assert url == "http://127.0.0.1:9/bucket/a%20b/%252e%252e/%3F%23%C3%BC"


@pytest.mark.parametrize(
    "bucket",
    ["", "ab", "UPPER", "under_score", "-dash", "dash-", "a..b", "192.168.0.1", "b/x", "b?x",
     "x" * 64, "bucket\n", "bucket\r"],
)  # fmt: skip
def test_hostile_buckets_are_refused(bucket: str) -> None:
    with pytest.raises(S3Error, match="bucket"):
        S3Client(KEYS).url(bucket, "k")


@pytest.mark.parametrize(
    "endpoint",
    [
        "ftp://127.0.0.1", "file:///etc/passwd", "gopher://h", "127.0.0.1:9000", "//host",
        "http://", "http://user:pw@minio:9000", "http://minio:9000/prefix", "http://minio?x=1",
        "http://minio#f", "http://minio:99999", "http://minio:port", "http://169.254.169.254",
        "http://[fe80::1]", "http://0.0.0.0:9000", "http://224.0.0.1", "http://mi nio",
        "http://minio\r\nX-Injected: 1",
    ],
)  # fmt: skip
def test_hostile_endpoints_are_refused(endpoint: str) -> None:
    with pytest.raises(S3Error, match="endpoint"):
        S3Client(KEYS, endpoint=endpoint)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:5000",
        "http://minio.storage.svc:9000/",
        "https://10.0.0.7",
        "http://[::1]:9",
    ],
)
def test_storage_endpoints_on_loopback_and_private_networks_are_allowed(endpoint: str) -> None:
    assert check_endpoint(endpoint) == endpoint.rstrip("/")


@pytest.mark.parametrize(
    ("access", "secret", "token"),
    [("", "s", ""), ("AK ID", "s", ""), ("AKID", "", ""), ("AKID", "s", "tok\r\nX-Injected: 1"),
     ("AKID", "s", "tok en"), ("AK\nID", "s", ""), ("AKID\n", "s", ""), ("AKID", "s", "t\n")],
)  # fmt: skip
def test_hostile_credentials_are_refused(access: str, secret: str, token: str) -> None:
    with pytest.raises(S3Error):
        Credentials(access, secret, token)


def test_from_env_needs_both_keys_and_reads_the_standard_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (s3client.SESSION_TOKEN, s3client.ENDPOINT_URL, s3client.DEFAULT_REGION):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKID")
    with pytest.raises(S3Error, match="AWS_SECRET_ACCESS_KEY"):
        S3Client.from_env()
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2")  # the S3-specific one wins
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "eu-north-1")  # AWS_REGION wins, as in the SDKs
    client = S3Client.from_env()
    request = client.sign("bucket", "k", b"")
    assert request.url == "http://127.0.0.1:2/bucket/k"
    assert "/eu-north-1/s3/aws4_request" in request.headers["authorization"]
    assert request.headers["x-amz-security-token"] == "session"
    assert "s3cr3t" not in repr(client.credentials) and "session" not in repr(client.credentials)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "file:///etc")
    with pytest.raises(S3Error, match="endpoint"):
        S3Client.from_env()


class _Answer(http.server.BaseHTTPRequestHandler):
    """Answers every PUT with the status in the class attribute; counts the requests."""

    status = 307
    body = b""
    hits: ClassVar[list[str]] = []

    def do_PUT(self) -> None:  # http.server's naming
        self.hits.append(self.path)
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(self.status)
        self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def answering() -> Iterator[type[_Answer]]:
    handler = type("Handler", (_Answer,), {"hits": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


def test_a_redirect_is_an_error_never_followed(answering: type[_Answer]) -> None:
    client = S3Client(KEYS, endpoint=answering.url)  # type: ignore[attr-defined]
    with pytest.raises(S3Error, match="HTTP 307") as info:
        client.put("bucket", "k", b"x")
    assert answering.hits == ["/bucket/k"]  # once: a 3xx/4xx is not retried
    assert "very-secret-key" not in str(info.value)


def test_a_server_error_is_retried_then_names_s3s_code(
    answering: type[_Answer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("model.s3client.BACKOFF", 0.0)
    answering.status = 503
    answering.body = b"<Error><Code>SlowDown</Code><Message>\x1b[31m</Message></Error>"
    client = S3Client(KEYS, endpoint=answering.url)  # type: ignore[attr-defined]
    with pytest.raises(S3Error, match=r"HTTP 503 SlowDown$") as info:
        client.put_object(Bucket="bucket", Key="k", Body=b"x")
    assert info.value.status == 503 and len(answering.hits) == 3
