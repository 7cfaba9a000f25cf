"""Opening the promotion PR: created once, reused on rerun, and every failure is one clear error."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from model.gitops.github import GitHubError, open_pull_request
from tests.github_api import FORBIDDEN, FakeGitHub, serve

pytestmark = pytest.mark.unit
HEAD = "promote/prod-" + "ab" * 6


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with serve() as state:
        monkeypatch.setenv("GITHUB_API_URL", state.url)
        monkeypatch.setenv("GITHUB_REPOSITORY", "org/credit-scoring")
        monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
        yield state


def test_opens_the_pull_request_with_the_token(api: FakeGitHub) -> None:
    pr = open_pull_request(HEAD, "main", "Promote v1 to prod", "body")
    assert pr.created and pr.url.endswith("/org/credit-scoring/pull/1")
    (post,) = api.writes()
    assert post.path == "/repos/org/credit-scoring/pulls"
    assert post.body == {
        "head": HEAD,
        "base": "main",
        "title": "Promote v1 to prod",
        "body": "body",
    }
    assert post.headers["Authorization"] == "Bearer t0ken"


def test_a_rerun_updates_the_open_pull_request_instead_of_failing(api: FakeGitHub) -> None:
    first = open_pull_request(HEAD, "main", "Promote v1 to prod", "first")
    again = open_pull_request(HEAD, "main", "Promote v1 to prod", "second")
    assert (again.url, again.created) == (first.url, False)
    assert [r.method for r in api.writes()] == ["POST", "PATCH"]
    assert len(api.pulls) == 1 and api.pulls[1]["body"] == "second"


def test_403_is_one_line_that_says_what_to_do(api: FakeGitHub) -> None:
    api.refuse = (403, FORBIDDEN)
    with pytest.raises(GitHubError) as err:
        open_pull_request(HEAD, "main", "t", "b")
    text = str(err.value)
    assert "\n" not in text
    assert "403" in text and FORBIDDEN in text and "PROMOTION_TOKEN" in text


def test_a_refused_connection_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port nobody listens on once this closes
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("GITHUB_REPOSITORY", "org/credit-scoring")
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    with pytest.raises(GitHubError, match=f"could not reach GitHub at http://127.0.0.1:{port}"):
        open_pull_request(HEAD, "main", "t", "b")


def test_no_token_is_an_error_not_a_silent_skip(
    api: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    with pytest.raises(GitHubError, match="GITHUB_TOKEN"):
        open_pull_request(HEAD, "main", "t", "b")
    assert api.requests == []


@pytest.mark.security
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GITHUB_REPOSITORY", "org/../../admin"),
        ("GITHUB_REPOSITORY", "org/repo?x=1"),
        ("GITHUB_REPOSITORY", "org"),
        ("GITHUB_API_URL", "file:///etc/passwd"),
        ("GITHUB_API_URL", "http://evil.example/api"),
    ],
)
def test_hostile_repository_or_api_url_is_refused_before_any_request(
    api: FakeGitHub, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(GitHubError, match=name):
        open_pull_request(HEAD, "main", "t", "b")
    assert api.requests == []


@pytest.mark.security
@pytest.mark.parametrize("head", ["promote/x\nInjected: 1", "../main", "a b", "-x", ""])
def test_hostile_branch_names_are_refused(api: FakeGitHub, head: str) -> None:
    with pytest.raises(GitHubError, match="branch"):
        open_pull_request(head, "main", "t", "b")
    assert api.requests == []
