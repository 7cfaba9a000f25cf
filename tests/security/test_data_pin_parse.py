"""Issue 11 §7: a hostile data.dvc cannot smuggle text into the pin or into an error line."""

from __future__ import annotations

import pytest

from model.pipeline.datapull import DataPinError, md5_of

pytestmark = [pytest.mark.unit, pytest.mark.security]

GOOD = "outs:\n- md5: 442be504d88b396912ae5be94d5ffdd2.dir\n  path: data\n"


def test_a_well_formed_pin_is_read() -> None:
    assert md5_of(GOOD) == "442be504d88b396912ae5be94d5ffdd2.dir"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "outs: []\n",
        "- just a list\n",
        "outs:\n- path: data\n",
        "outs:\n- md5: 12345\n",
        'outs:\n- md5: "442be504d88b396912ae5be94d5ffdd2.dir\\nerror: forged line"\n',
        "outs:\n- md5: ../../etc/passwd\n",
        "outs: [unclosed\n",
    ],
)
def test_a_malformed_pin_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(DataPinError) as info:
        md5_of(text)
    message = str(info.value)
    assert "\n" not in message and "forged" not in message, message
    assert "expected" in message, message
