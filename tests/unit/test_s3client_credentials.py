"""Where the stdlib S3 client finds its keys: the environment, else a shared credentials file.

The Deployment mounts the keys as a Secret volume (checkov CKV_K8S_35: secrets as files), so
the file is re-read when it changes (a rotated Secret) and may appear after start-up.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from model import s3client
from model.s3client import S3Client, S3Error

pytestmark = pytest.mark.unit
AWS_VARS = (
    s3client.ACCESS_KEY_ID, s3client.SECRET_ACCESS_KEY, s3client.SESSION_TOKEN,
    s3client.SHARED_CREDENTIALS_FILE, s3client.PROFILE, s3client.ENDPOINT_URL,
    s3client.ENDPOINT_URL_S3, s3client.REGION, s3client.DEFAULT_REGION,
)  # fmt: skip


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in AWS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(s3client.ENDPOINT_URL, "http://127.0.0.1:9")
    return monkeypatch


def _write(path: Path, key: str, secret: str, extra: str = "", profile: str = "default") -> None:
    path.write_text(
        f"[{profile}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n{extra}"
    )


def _credential(client: S3Client) -> str:
    """The access key id the Authorization header names."""
    auth = client.sign("bucket", "k", b"").headers["authorization"]
    return auth.split("Credential=", 1)[1].split("/", 1)[0]


def test_keys_come_from_the_file_and_follow_its_rotation(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    creds = tmp_path / "credentials"
    _write(creds, "AKIDFIRST", "first-secret")
    env.setenv(s3client.SHARED_CREDENTIALS_FILE, str(creds))
    client = S3Client.from_env()
    assert _credential(client) == "AKIDFIRST"
    # A Secret volume swaps its files through a symlink; a new inode or mtime is a new file.
    fresh = tmp_path / "credentials.new"
    _write(fresh, "AKIDSECOND", "second-secret", "aws_session_token = tok\n")
    os.replace(fresh, creds)
    request = client.sign("bucket", "k", b"")
    assert "Credential=AKIDSECOND/" in request.headers["authorization"]
    assert request.headers["x-amz-security-token"] == "tok"


def test_the_environment_wins_over_the_file(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    _write(creds, "AKIDFILE", "file-secret")
    env.setenv(s3client.SHARED_CREDENTIALS_FILE, str(creds))
    env.setenv(s3client.ACCESS_KEY_ID, "AKIDENV")
    env.setenv(s3client.SECRET_ACCESS_KEY, "env-secret")
    assert _credential(S3Client.from_env()) == "AKIDENV"


def test_aws_profile_picks_the_section(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    _write(creds, "AKIDSAMPLES", "s", profile="samples")
    env.setenv(s3client.SHARED_CREDENTIALS_FILE, str(creds))
    env.setenv(s3client.PROFILE, "samples")
    assert _credential(S3Client.from_env()) == "AKIDSAMPLES"
    env.setenv(s3client.PROFILE, "other")
    with pytest.raises(S3Error, match=r"no \[other\] profile"):
        S3Client.from_env().sign("bucket", "k", b"")


@pytest.mark.parametrize(
    "text",
    ["not an ini file", "[default]\naws_access_key_id = AKID\n",
     "[default]\naws_access_key_id = AK ID\naws_secret_access_key = s\n", "\udcff"],
)  # fmt: skip
def test_a_bad_file_is_an_error_when_signing(
    env: pytest.MonkeyPatch, tmp_path: Path, text: str
) -> None:
    creds = tmp_path / "credentials"
    creds.write_bytes(text.encode("utf-8", "surrogateescape"))
    env.setenv(s3client.SHARED_CREDENTIALS_FILE, str(creds))
    with pytest.raises(S3Error):
        S3Client.from_env().sign("bucket", "k", b"")


def test_a_missing_file_fails_each_upload_not_the_start(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    creds = tmp_path / "not-yet"
    env.setenv(s3client.SHARED_CREDENTIALS_FILE, str(creds))
    client = S3Client.from_env()  # the Secret volume may be filled after the pod starts
    with pytest.raises(S3Error, match="cannot read the AWS credentials file"):
        client.put("bucket", "k", b"x")  # before any connection: nothing listens on :9
    _write(creds, "AKIDLATE", "late-secret")
    assert _credential(client) == "AKIDLATE"


def test_no_keys_anywhere_is_an_error_at_start(env: pytest.MonkeyPatch) -> None:
    with pytest.raises(S3Error, match="AWS_SHARED_CREDENTIALS_FILE"):
        S3Client.from_env()
