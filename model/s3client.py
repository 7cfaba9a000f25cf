"""A stdlib-only S3 PUT client (AWS Signature Version 4) for images without botocore.

The serving image installs only the `serve` extra; botocore alone would add 29 MB to it. The
server's sampler needs one call, PutObject, so this module signs it itself (SigV4, the
payload hashed and signed) and sends it with http.client: no redirects followed, bounded
timeouts, TLS verified. `tests/unit/test_s3client_sigv4.py` checks every signature against
botocore's own signer.

Configuration is the AWS SDKs' standard environment (these names are AWS's, not ours):
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (temporary credentials), else the
shared credentials file AWS_SHARED_CREDENTIALS_FILE (profile AWS_PROFILE, default `default`),
re-read when it changes so that a rotated Secret volume takes effect without a restart;
AWS_ENDPOINT_URL_S3 else AWS_ENDPOINT_URL (MinIO, moto, another S3-compatible store),
AWS_REGION else AWS_DEFAULT_REGION, AWS_CA_BUNDLE. Not supported: config-file settings,
instance or web-identity roles, proxies; give the pod static keys (an ExternalSecret).
"""

from __future__ import annotations

import configparser
import hashlib
import hmac
import http.client
import ipaddress
import re
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from model import config
from model.config import UsageError

ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"
SESSION_TOKEN = "AWS_SESSION_TOKEN"
SHARED_CREDENTIALS_FILE = "AWS_SHARED_CREDENTIALS_FILE"
PROFILE = "AWS_PROFILE"
ENDPOINT_URL_S3 = "AWS_ENDPOINT_URL_S3"
ENDPOINT_URL = "AWS_ENDPOINT_URL"
REGION = "AWS_REGION"
DEFAULT_REGION = "AWS_DEFAULT_REGION"
CA_BUNDLE = "AWS_CA_BUNDLE"
FALLBACK_REGION = "us-east-1"  # what the SDKs' S3 clients assume

TIMEOUT = 30.0  # seconds per connect and per read: a stalled bucket frees the thread
ATTEMPTS = 3  # a 5xx (SlowDown, InternalError) or a dropped connection is retried
BACKOFF = 0.25  # seconds before the second attempt, doubled after
MAX_BODY = 5 << 30  # S3's limit for one PutObject
MAX_KEY_BYTES = 1024  # S3's limit
MAX_ERROR_BYTES = 64 << 10  # of an error body read back for its <Code>
# S3's bucket-naming rules (no uppercase, no underscores, 3-63, alphanumeric at both ends).
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
REGION_NAME = re.compile(r"[a-z0-9-]{1,32}")
PRINTABLE = re.compile(r"[\x21-\x7e]+")  # keys and tokens: header-safe, no spaces
CONTROL = re.compile(r"[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]")


class S3Error(UsageError):
    """Bad configuration or input (exit 2), or a refused upload (`status` set)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Credentials:
    """Static keys, with the session token of temporary credentials when there is one."""

    access_key: str
    secret_key: str
    token: str = ""

    def __post_init__(self) -> None:
        for name, value in (("access key id", self.access_key), ("secret", self.secret_key)):
            if not PRINTABLE.fullmatch(value):
                raise S3Error(f"the AWS {name} is empty or holds spaces or control characters")
        if self.token and not PRINTABLE.fullmatch(self.token):
            raise S3Error("AWS_SESSION_TOKEN holds spaces or control characters")

    def __repr__(self) -> str:  # never the secret, never the token
        return f"Credentials(access_key={self.access_key!r})"


class CredentialsFile:
    """Keys from an AWS shared credentials file (ini), re-read whenever the file changes.

    Read at the first request, not at start-up: a Secret volume that is filled later (the
    operator syncs after the pod starts) costs the uploads before it, counted, not sampling.
    """

    def __init__(self, path: Path, profile: str = "default") -> None:
        self.path = path
        self.profile = profile
        self._seen: tuple[int, int] | None = None
        self._credentials: Credentials | None = None

    def current(self) -> Credentials:
        """The file's keys; S3Error when it is missing, unreadable or lacks the profile."""
        try:
            stat = self.path.stat()
            if self._credentials is None or self._seen != (stat.st_mtime_ns, stat.st_ino):
                self._credentials = self._parse(self.path.read_text())
                self._seen = (stat.st_mtime_ns, stat.st_ino)
        except (OSError, UnicodeDecodeError) as err:
            raise S3Error(f"cannot read the AWS credentials file {self.path}: {err}") from err
        return self._credentials

    def _parse(self, text: str) -> Credentials:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error as err:
            raise S3Error(f"{self.path} is not an AWS credentials file (ini)") from err
        if not parser.has_section(self.profile):
            raise S3Error(f"{self.path} has no [{self.profile}] profile")
        section = parser[self.profile]
        return Credentials(
            section.get("aws_access_key_id", ""),
            section.get("aws_secret_access_key", ""),
            section.get("aws_session_token", ""),
        )


@dataclass(frozen=True)
class Request:
    """A signed request, ready to send: method, URL, headers, body."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes


def check_bucket(bucket: str) -> str:
    """`bucket` when it follows S3's naming rules; S3Error otherwise."""
    if not BUCKET.fullmatch(bucket) or ".." in bucket or _is_ip(bucket):
        raise S3Error(f"not an S3 bucket name (3-63 of a-z 0-9 . -): {bucket!r}")
    return bucket


def check_key(key: str) -> str:
    """`key` when it is safe to put in a URL path; S3Error otherwise.

    S3 keys may hold almost anything, but `.`/`..` or empty segments are rewritten by many
    proxies and S3-compatible servers (a key could land outside its prefix), and control
    characters end up in logs. Everything else is percent-encoded in the URL.
    """
    if not key or len(key.encode()) > MAX_KEY_BYTES or CONTROL.search(key):
        raise S3Error(f"not a usable S3 key (1-{MAX_KEY_BYTES} bytes, no control characters)")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise S3Error(f"S3 key has an empty, '.' or '..' segment: {key!r}")
    return key


def check_endpoint(url: str) -> str:
    """An http(s)://host[:port] endpoint, without a trailing slash; S3Error otherwise.

    Loopback and private addresses are allowed (MinIO in the cluster, moto in tests); the
    link-local range (cloud metadata services) and unspecified or multicast addresses are not.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise S3Error(f"the S3 endpoint must be an http(s)://host[:port] URL; got {url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise S3Error("the S3 endpoint URL must not carry credentials, a query or a fragment")
    if parts.path not in ("", "/") or CONTROL.search(url) or " " in url:
        raise S3Error(f"the S3 endpoint URL must have no path; got {url!r}")
    try:
        parts.port  # noqa: B018  # raises on a port that is not a number in range
    except ValueError as err:
        raise S3Error(f"the S3 endpoint's port is not valid: {url!r}") from err
    if _is_ip(parts.hostname):
        ip = ipaddress.ip_address(parts.hostname)
        if not ip.is_loopback and (
            ip.is_link_local or ip.is_unspecified or ip.is_multicast or ip.is_reserved
        ):
            raise S3Error(f"refusing S3 endpoint {parts.hostname}: not a storage address")
    return f"{parts.scheme}://{parts.netloc}"


def _aws_host(region: str) -> str:
    """S3's endpoint host in `region` (us-east-1 is the global one, as the SDKs use)."""
    return "s3.amazonaws.com" if region == FALLBACK_REGION else f"s3.{region}.amazonaws.com"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class S3Client:
    """PutObject to one endpoint (AWS when none is given) with static credentials."""

    def __init__(
        self,
        credentials: Credentials | CredentialsFile,
        region: str = FALLBACK_REGION,
        endpoint: str | None = None,
        addressing: str = "auto",
        timeout: float = TIMEOUT,
        ca_bundle: str | None = None,
    ) -> None:
        if not REGION_NAME.fullmatch(region):
            raise S3Error(f"not an AWS region name: {region!r}")
        if addressing not in ("auto", "path", "virtual"):
            raise S3Error(f"addressing must be auto, path or virtual; got {addressing!r}")
        self._credentials = credentials
        self.region = region
        self.endpoint = check_endpoint(endpoint) if endpoint else None
        self.addressing = addressing
        self.timeout = timeout
        self.ca_bundle = ca_bundle

    @property
    def credentials(self) -> Credentials:
        """The keys to sign with now (a credentials file is re-read when it changed)."""
        source = self._credentials
        return source.current() if isinstance(source, CredentialsFile) else source

    @classmethod
    def from_env(cls) -> S3Client:
        """A client configured by the standard AWS_* variables; S3Error when keys are missing."""
        key, secret = config.get(ACCESS_KEY_ID), config.get(SECRET_ACCESS_KEY)
        shared = config.get(SHARED_CREDENTIALS_FILE)
        credentials: Credentials | CredentialsFile
        if key and secret:  # the environment wins over the file, as in the SDKs
            credentials = Credentials(key, secret, config.get(SESSION_TOKEN) or "")
        elif shared:
            credentials = CredentialsFile(Path(shared), config.get(PROFILE) or "default")
        else:
            raise S3Error(
                f"set {ACCESS_KEY_ID} and {SECRET_ACCESS_KEY}, or {SHARED_CREDENTIALS_FILE}"
            )
        return cls(
            credentials,
            config.get(REGION) or config.get(DEFAULT_REGION) or FALLBACK_REGION,
            config.get(ENDPOINT_URL_S3) or config.get(ENDPOINT_URL),
            ca_bundle=config.get(CA_BUNDLE),
        )

    def url(self, bucket: str, key: str) -> str:
        """The object's URL, addressed as boto3 addresses it by default.

        Virtual-hosted on AWS; path-style on a custom endpoint (MinIO and moto need no
        wildcard DNS then) and for a bucket with dots, whose name breaks the TLS wildcard.
        """
        check_bucket(bucket)
        path = quote(check_key(key), safe="/~")
        virtual = self.addressing == "virtual" or (
            self.addressing == "auto" and self.endpoint is None and "." not in bucket
        )
        base = self.endpoint or f"https://{_aws_host(self.region)}"
        if not virtual:
            return f"{base}/{bucket}/{path}"
        scheme, _, host = base.partition("://")
        if _is_ip(urlsplit(base).hostname or "") or ("." in bucket and scheme == "https"):
            raise S3Error(f"bucket {bucket!r} cannot be addressed as a host name here")
        return f"{scheme}://{bucket}.{host}/{path}"

    def sign(self, bucket: str, key: str, body: bytes, now: datetime | None = None) -> Request:
        """The PutObject request for `body`, signed with SigV4 at `now` (default: the clock)."""
        if len(body) > MAX_BODY:
            raise S3Error(f"object too large for one PutObject: {len(body)} bytes")
        url = self.url(bucket, key)
        credentials = self.credentials
        parts = urlsplit(url)
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        headers = {
            "host": parts.netloc,
            "x-amz-content-sha256": hashlib.sha256(body).hexdigest(),
            "x-amz-date": stamp,
        }
        if credentials.token:
            headers["x-amz-security-token"] = credentials.token
        names = ";".join(sorted(headers))
        canonical = "\n".join(
            [
                "PUT",
                parts.path,
                "",  # no query string
                "".join(f"{n}:{headers[n]}\n" for n in sorted(headers)),
                names,
                headers["x-amz-content-sha256"],
            ]
        )
        scope = f"{stamp[:8]}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        signing_key = self._signing_key(credentials.secret_key, stamp[:8])
        signature = hmac.new(signing_key, to_sign.encode(), "sha256").hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={names}, Signature={signature}"
        )
        return Request("PUT", url, headers, body)

    def _signing_key(self, secret: str, day: str) -> bytes:
        key = f"AWS4{secret}".encode()
        for part in (day, self.region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), "sha256").digest()
        return key

    def put(self, bucket: str, key: str, body: bytes) -> None:
        """Store `body` at s3://bucket/key; S3Error naming the status and S3's error code."""
        last: Exception | None = None
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(BACKOFF * 2 ** (attempt - 1))
            try:
                status, code = self._send(self.sign(bucket, key, body))
            except (OSError, http.client.HTTPException) as err:
                last = err  # refused, reset, timed out: the next attempt may get through
                continue
            if status < 300:
                return
            last = S3Error(f"PUT s3://{bucket}/{key}: HTTP {status} {code}".rstrip(), status)
            if status < 500:
                break  # denied, no such bucket, bad request: retrying cannot help
        if isinstance(last, S3Error):
            raise last
        raise S3Error(f"PUT s3://{bucket}/{key}: {type(last).__name__}: {last}") from last

    def put_object(self, *, Bucket: str, Key: str, Body: bytes) -> None:
        """boto3's spelling of `put`, so code written for a boto3 client takes this one."""
        self.put(Bucket, Key, Body)

    def _send(self, request: Request) -> tuple[int, str]:
        """(status, S3 error code or '') for one attempt; never follows a redirect."""
        parts = urlsplit(request.url)
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            context = ssl.create_default_context(cafile=self.ca_bundle)
            conn = http.client.HTTPSConnection(parts.netloc, timeout=self.timeout, context=context)
        else:
            conn = http.client.HTTPConnection(parts.netloc, timeout=self.timeout)
        try:
            conn.request(request.method, parts.path, body=request.body, headers=request.headers)
            response = conn.getresponse()
            detail = response.read(MAX_ERROR_BYTES) if response.status >= 300 else b""
            return response.status, _error_code(detail)
        finally:
            conn.close()


def _error_code(body: bytes) -> str:
    """S3's <Code> from an error body (e.g. NoSuchBucket), or '' when there is none."""
    match = re.search(rb"<Code>([A-Za-z0-9.]{1,64})</Code>", body)
    return match.group(1).decode() if match else ""
