"""The ledger keeps one history per (model, environment) inside one `git log`."""

from __future__ import annotations

import pytest

from model.gitops import audit
from model.gitops.trailers import Release, message
from tests.sample_release import RELEASE

pytestmark = pytest.mark.unit


def _record(sha: str, subject: str, release: Release | None) -> str:
    """One record of audit.LOG_FORMAT's output, as git prints it."""
    trailers = message(subject, "", release).strip().split("\n\n")[-1] if release else ""
    fields = [sha, "2026-11-26T10:00:00+00:00", subject, *trailers.splitlines()]
    return "\x00".join(fields) + "\x00\x1d\x00"


def _digest(n: int) -> str:
    return "sha256:" + f"{n:x}" * 64


def test_a_revert_puts_back_what_that_model_had_not_another_models_promotion() -> None:
    churn1 = RELEASE.with_(model="churn", image_digest=_digest(1))
    loan1 = RELEASE.with_(model="loan-default", image_digest=_digest(2))
    churn2 = RELEASE.with_(model="churn", image_digest=_digest(3))
    shas = [c * 40 for c in "abcd"]
    out = "".join([
        _record(shas[0], "promote churn 1", churn1),
        _record(shas[1], "promote loan 1", loan1),  # the last staging event before churn2
        _record(shas[2], "promote churn 2", churn2),
        _record(shas[3], 'Revert "promote churn 2"', None),
    ])  # fmt: skip
    book = audit.parse(out, {shas[3]: (shas[2], "Ada <ada@x>")})
    rollback = book.entries[-1].release
    assert (rollback.model, rollback.image_digest) == ("churn", churn1.image_digest)
    assert rollback.rollback_of == shas[2]
    assert [e.commit for e in audit.select(book, model="churn").entries] == [
        shas[0], shas[2], shas[3]
    ]  # fmt: skip
    assert audit.select(book, model="credit-scoring").entries == []
    assert list(audit.current_by_model(book.entries)) == [
        ("churn", "staging"), ("loan-default", "staging")
    ]  # fmt: skip


def test_the_first_promotion_of_a_model_cannot_be_reverted_into_anothers() -> None:
    loan1 = RELEASE.with_(model="loan-default", image_digest=_digest(2))
    churn1 = RELEASE.with_(model="churn", image_digest=_digest(1))
    shas = [c * 40 for c in "abc"]
    out = (
        _record(shas[0], "promote loan 1", loan1)
        + _record(shas[1], "promote churn 1", churn1)
        + _record(shas[2], 'Revert "promote churn 1"', None)
    )
    book = audit.parse(out, {shas[2]: (shas[1], "Ada <ada@x>")})
    assert [e.commit for e in book.entries] == shas[:2]
    (bad,) = book.malformed
    assert bad.commit == shas[2] and bad.model == "churn" and "nothing is pinned" in bad.reason
    assert audit.select(book, model="loan-default").malformed == []
