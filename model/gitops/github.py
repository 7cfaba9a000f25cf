"""Open (or reuse) a pull request through GitHub's REST API; the one way this project opens PRs.

Idempotent: a rerun for the same branch finds the open PR and updates its title and body, so a
retried workflow never fails on its own earlier success. Every failure is one GitHubError line.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from model import config
from model.config import CheckFailed

DEFAULT_API = "https://api.github.com"
TIMEOUT_S = 30.0
_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,99})/[A-Za-z0-9_.-]{1,100}$")
# A conservative subset of git's ref rules: no spaces, control chars, "..", leading "-" or "/".
_BRANCH = re.compile(r"^(?!.*\.\.)(?!.*//)[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
FORBIDDEN_HINT = (
    "the token lacks pull-requests: write, or the repository forbids Actions to create PRs; "
    "set the PROMOTION_TOKEN secret (GitHub App token or fine-grained PAT) and rerun"
)


class GitHubError(CheckFailed):
    """GitHub refused, was unreachable, or the inputs were unsafe; the message is one line."""


@dataclass(frozen=True)
class PullRequest:
    """The PR a head branch has: its URL and number, and whether this call created it."""

    url: str
    number: int
    created: bool


@dataclass(frozen=True)
class Repo:
    """A GitHub repository's REST API, with the token to call it."""

    api: str
    repo: str
    token: str


def repo_from_env() -> Repo:
    """API URL, owner/repo and token from the environment, each checked before any request."""
    token, repo = config.get(config.GITHUB_TOKEN), config.get(config.GITHUB_REPOSITORY, "")
    api = (config.get(config.GITHUB_API_URL, DEFAULT_API) or DEFAULT_API).rstrip("/")
    if not token:
        raise GitHubError("GITHUB_TOKEN is not set: export a token with pull-requests: write")
    if not _REPO.match(repo or ""):
        raise GitHubError(f"GITHUB_REPOSITORY must be OWNER/REPO; found {repo!r}")
    parts = urllib.parse.urlsplit(api)
    local = parts.scheme == "http" and parts.hostname in _LOOPBACK
    if not (parts.scheme == "https" and parts.hostname) and not local:
        raise GitHubError(
            f"GITHUB_API_URL must be an https:// URL (http:// only on loopback); found {api!r}"
        )
    return Repo(api, str(repo), token)


def _branch(name: str, what: str) -> str:
    if not _BRANCH.match(name):
        raise GitHubError(f"{what} branch must be a plain git branch name; found {name!r}")
    return name


def call(t: Repo, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One REST call under /repos/OWNER/REPO/; GitHubError names what failed."""
    request = urllib.request.Request(
        f"{t.api}/repos/{t.repo}/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {t.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        raise GitHubError(_refusal(method, path, exc)) from None
    except (OSError, ValueError) as exc:  # URLError, refused, timeout, bad JSON
        reason = getattr(exc, "reason", exc)
        raise GitHubError(
            f"could not reach GitHub at {t.api} ({method} {path}): {reason}; check "
            "GITHUB_API_URL and the network, then rerun (reruns reuse the branch and PR)"
        ) from None


def _refusal(method: str, path: str, exc: urllib.error.HTTPError) -> str:
    try:
        message = str(json.loads(exc.read() or b"{}").get("message", ""))
    except ValueError:
        message = ""
    message = " ".join(message.split())[:300]  # one line, bounded: it is the server's text
    hint = FORBIDDEN_HINT if exc.code in (401, 403, 404) else "see GitHub's message"
    return f"GitHub refused {method} {path}: {exc.code} {message!r}; {hint}"


def _find_open(t: Repo, head: str, base: str) -> dict[str, Any] | None:
    owner = t.repo.split("/", 1)[0]
    query = urllib.parse.urlencode({"head": f"{owner}:{head}", "base": base, "state": "open"})
    found = call(t, "GET", f"pulls?{query}")
    return found[0] if isinstance(found, list) and found else None


def open_pull_request(head: str, base: str, title: str, body: str) -> PullRequest:
    """Open head -> base, or update the PR already open for head; raise GitHubError otherwise."""
    _branch(head, "head")
    _branch(base, "base")
    t = repo_from_env()
    existing = _find_open(t, head, base)
    if existing is not None:
        number = int(existing["number"])
        call(t, "PATCH", f"pulls/{number}", {"title": title, "body": body})
        return PullRequest(str(existing["html_url"]), number, created=False)
    made = call(t, "POST", "pulls", {"head": head, "base": base, "title": title, "body": body})
    return PullRequest(str(made["html_url"]), int(made["number"]), created=True)
