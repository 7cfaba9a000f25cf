"""build-info's data md5 comes from the one data.dvc reader (model.core.dataset)."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.serving.buildinfo import data_md5

pytestmark = pytest.mark.unit

PINNED = "442be504d88b396912ae5be94d5ffdd2.dir"


def test_reads_the_first_outs_md5(tmp_path: Path) -> None:
    # an md5 under another key comes first in the file: a line-matching reader took that one
    (tmp_path / "data.dvc").write_text(
        f"meta:\n  md5: {'0' * 32}\nouts:\n- md5: {PINNED}\n  path: data\n"
    )
    assert data_md5(tmp_path) == PINNED


@pytest.mark.parametrize(
    "text",
    [
        "outs:\n- md5: $(touch /tmp/pwned)\n  path: data\n",  # hostile value
        "outs: []\n",
        "not: [yaml\n",
    ],
)
def test_an_unusable_pin_is_none(tmp_path: Path, text: str) -> None:
    (tmp_path / "data.dvc").write_text(text)
    assert data_md5(tmp_path) is None


def test_no_data_dvc_is_none(tmp_path: Path) -> None:
    assert data_md5(tmp_path) is None
