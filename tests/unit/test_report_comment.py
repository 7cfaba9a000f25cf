"""The PR comment is rebuilt in the trusted job from report.json and checked PNGs only.

The artifact comes from untrusted PR code: nothing in it may make the comment link, embed or
publish a file of the runner, inject HTML, or break out of the markdown structure.
"""

from __future__ import annotations

import html
import json
import os
import shutil
from pathlib import Path

import pytest

from model.review.comment import CommentError, build

pytestmark = pytest.mark.unit
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "example-report"
RUN_URL = "https://github.com/acme/credit-scoring/actions/runs/42"
SHA = "a" * 40


def _artifact(tmp_path: Path) -> Path:
    folder = tmp_path / "artifact"
    shutil.copytree(EXAMPLE, folder)
    return folder


def _edit(folder: Path, **changes: object) -> None:
    report = json.loads((folder / "report.json").read_text())
    report.update(changes)
    (folder / "report.json").write_text(json.dumps(report))


def test_the_example_report_becomes_a_comment_without_local_links(tmp_path: Path) -> None:
    out = build(_artifact(tmp_path), tmp_path / "out", RUN_URL, SHA)
    md = out.read_text()
    assert md.startswith("**❌ Gate failed") and "#### Metrics" in md and "| roc_auc |" in md
    for name in ("roc.png", "pr.png", "calibration.png", "confusion.png"):
        assert f"`{name}`" in md
    assert "![" not in md and "](./" not in md
    assert f"]({RUN_URL})" in md
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.md"]


@pytest.mark.security
def test_hostile_strings_in_report_json_cannot_link_embed_or_inject(tmp_path: Path) -> None:
    folder = _artifact(tmp_path)
    _edit(
        folder,
        verdict="![x](../../etc/passwd) <img src=x onerror=alert(1)>",
        head={"label": "pr`](/etc/shadow)\n#### Fake\n<script>", "rev": "c" * 40},
        params=[{"file": "a|b", "param": "[x](file:///etc/passwd)", "old": 1, "new": "<b>2</b>"}],
        data=[{"change": "added", "path": "`/etc/passwd`![](/etc/passwd)", "rows_base": None,
               "rows_head": 3}],
    )  # fmt: skip
    md = build(folder, tmp_path / "out", RUN_URL, SHA).read_text()
    assert "<img" not in md and "<script" not in md and "<b>" not in md
    assert "](../" not in md and "](/etc" not in md and "](file:" not in md
    assert "\n#### Fake" not in md
    assert md.count("](") == 1  # only the trusted link to the run's artifacts


@pytest.mark.security
@pytest.mark.parametrize(
    "name", ["../../etc/passwd.png", "/etc/passwd.png", "ROC.PNG", "a b.png", "x.png\n", "x.svg"]
)
def test_plot_names_outside_the_allow_list_are_withheld(tmp_path: Path, name: str) -> None:
    folder = _artifact(tmp_path)
    _edit(folder, plots=["roc.png", name])
    md = build(folder, tmp_path / "out", RUN_URL, SHA).read_text()
    assert "`roc.png`" in md and "withheld" in md
    assert name.strip() not in md.replace("&#", "")


@pytest.mark.security
def test_symlinked_fake_and_oversized_pngs_are_withheld(tmp_path: Path) -> None:
    folder = _artifact(tmp_path)
    (folder / "roc.png").unlink()
    (folder / "roc.png").symlink_to("/etc/passwd")
    (folder / "pr.png").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (folder / "calibration.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * (3 * 1024 * 1024))
    md = build(folder, tmp_path / "out", RUN_URL, SHA).read_text()
    assert "`confusion.png`" in md
    for name in ("roc.png", "pr.png", "calibration.png"):
        assert f"`{name}` withheld" in md
    assert "root:x" not in md


@pytest.mark.security
@pytest.mark.parametrize("case", ["symlink", "huge", "not-object", "schema", "not-json"])
def test_a_bad_report_json_is_refused(tmp_path: Path, case: str) -> None:
    folder = _artifact(tmp_path)
    target = folder / "report.json"
    if case == "symlink":
        target.unlink()
        target.symlink_to(EXAMPLE / "report.json")
    elif case == "huge":
        target.write_text(json.dumps({"pad": "x" * (2 * 1024 * 1024)}))
    elif case == "not-object":
        target.write_text("[1, 2]")
    elif case == "schema":
        _edit(folder, metrics="not a list")
    else:
        target.write_text("{not json")
    with pytest.raises(CommentError, match=r"report\.json"):
        build(folder, tmp_path / "out", RUN_URL, SHA)


@pytest.mark.security
@pytest.mark.parametrize(
    ("run_url", "sha"),
    [
        ("https://evil.example/x](javascript:alert(1))", SHA),
        ("http://github.com/acme/credit-scoring/actions/runs/42", SHA),
        (RUN_URL, "abc; rm -rf /"),
        (RUN_URL, "A" * 40),
    ],
)
def test_hostile_run_url_or_sha_is_refused(tmp_path: Path, run_url: str, sha: str) -> None:
    with pytest.raises(CommentError):
        build(_artifact(tmp_path), tmp_path / "out", run_url, sha)


def test_an_artifact_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(_artifact(tmp_path))
    with pytest.raises(CommentError, match="symlink"):
        build(link, tmp_path / "out", RUN_URL, SHA)


@pytest.mark.security
@pytest.mark.timeout(20)
def test_a_fifo_named_like_a_plot_is_withheld_without_blocking(tmp_path: Path) -> None:
    folder = _artifact(tmp_path)
    (folder / "roc.png").unlink()
    os.mkfifo(folder / "roc.png")  # opening it for reading would wait for a writer forever
    md = build(folder, tmp_path / "out", RUN_URL, SHA).read_text()
    assert "`roc.png` withheld" in md and "`pr.png`" in md


def test_a_benign_report_keeps_every_section_but_plots_as_render_writes_it(tmp_path: Path) -> None:
    from model.review.render import markdown

    def without_plots(md: str) -> str:
        head, _, rest = md.partition("#### Plots")
        return head + rest[rest.index("#### ", 1) :]

    report = json.loads((EXAMPLE / "report.json").read_text())
    rebuilt = build(_artifact(tmp_path), tmp_path / "out", RUN_URL, SHA).read_text()
    # Entities render as the characters they stand for; only their markdown meaning is gone.
    assert html.unescape(without_plots(rebuilt)) == without_plots(markdown(report))
