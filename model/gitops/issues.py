"""Tell a person about a retraining run in "attention": a GitHub issue through the REST API.

One open issue carries the label LABEL at a time: a first attention run opens it, later runs
comment on it (a daily drift must not open an issue a day). It shares github.py's client, so
the token, repository and API URL checks are the ones every PR call gets. The caller is
`model workflows report` (training decides the state; the CLI sends the notice).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from model.gitops.github import call, repo_from_env

LABEL = "retrain-attention"
TITLE = "Drift without new labels: the retraining loop needs a person"
BODY_LIMIT = 60_000  # GitHub refuses bodies over 65,536 characters


@dataclass(frozen=True)
class Notice:
    """Where the notification went: the issue URL, and whether this call opened it."""

    url: str
    created: bool


def notify_attention(markdown: str, run: str = "") -> Notice:
    """Open the attention issue, or comment on the one already open; GitHubError on failure."""
    t = repo_from_env()
    body = (f"Workflow run `{run}`\n\n" if run else "") + markdown[:BODY_LIMIT]
    query = urllib.parse.urlencode({"labels": LABEL, "state": "open"})
    found = call(t, "GET", f"issues?{query}")
    issues = [i for i in found or [] if "pull_request" not in i]  # the API lists PRs too
    if issues:
        number = int(issues[0]["number"])
        call(t, "POST", f"issues/{number}/comments", {"body": body})
        return Notice(str(issues[0]["html_url"]), created=False)
    made = call(t, "POST", "issues", {"title": TITLE, "body": body, "labels": [LABEL]})
    return Notice(str(made["html_url"]), created=True)
