"""A real server process batches concurrent single-row requests and keeps every answer its own.

Sixteen raw keep-alive connections each send a different row at once, in bursts; every
answer must equal that row's answer when sent alone, and /metrics must show model runs that
scored more than one row (rows scored > runs), which only batching produces here.
"""

from __future__ import annotations

import json
import re
import socket
from typing import Any

import httpx
import pytest

from tests.integration.test_server_under_load import serving
from tests.unit.serving_helpers import contract_of, read_rows
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.integration
CONNECTIONS = 16
BURSTS = 5


def _request(row: dict[str, Any]) -> bytes:
    body = json.dumps({"instances": [row]}).encode()
    head = "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def _read_answer(sock: socket.socket) -> Any:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        body += sock.recv(65536)
    assert head.startswith(b"HTTP/1.1 200 "), head
    return json.loads(body)


def _counter(text: str, name: str) -> float:
    return sum(float(v) for v in re.findall(rf"^{name}\{{[^}}]*\}} (\S+)$", text, re.M))


def test_concurrent_single_rows_are_batched_and_each_answer_is_its_own(
    tiny_model: TinyModel,
) -> None:
    rows = read_rows(tiny_model.test_csv, contract_of(tiny_model.models))[:CONNECTIONS]
    assert len(rows) == CONNECTIONS
    with serving(tiny_model.models) as url:
        alone = [httpx.post(f"{url}/v1/predict", json={"instances": [r]}).json() for r in rows]
        assert len({a["predictions"][0]["probability"] for a in alone}) > 1  # rows differ
        port = int(url.rsplit(":", 1)[1])
        socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in rows]
        try:
            for _ in range(BURSTS):
                for sock, row in zip(socks, rows, strict=True):
                    sock.sendall(_request(row))
                answers = [_read_answer(sock) for sock in socks]
                assert answers == alone
        finally:
            for sock in socks:
                sock.close()
        text = httpx.get(f"{url}/metrics").text
    scored, runs = (
        _counter(text, "model_rows_scored_total"),
        _counter(text, "model_scoring_runs_total"),
    )
    assert scored == CONNECTIONS * (BURSTS + 1)
    assert runs < scored, "no model run scored more than one row: nothing was batched"
