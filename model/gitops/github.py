"""Open the prod promotion pull request through the GitHub REST API (token from the environment)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from model import env


def open_pull_request(head: str, base: str, title: str, body: str) -> str:
    """Open a PR and return its URL, or say plainly why it was not opened."""
    token, repo = env.get(env.GITHUB_TOKEN), env.get(env.GITHUB_REPOSITORY)
    if not token or not repo:
        return f"pull request not opened (no GITHUB_TOKEN/GITHUB_REPOSITORY): open {head} -> {base}"
    api = env.get(env.GITHUB_API_URL, "https://api.github.com")
    request = urllib.request.Request(
        f"{api}/repos/{repo}/pulls",
        method="POST",
        data=json.dumps({"head": head, "base": base, "title": title, "body": body}).encode(),
        headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return str(json.loads(resp.read())["html_url"])
    except urllib.error.HTTPError as exc:
        return f"pull request not opened: GitHub said {exc.code} {exc.read()[:200]!r}"
