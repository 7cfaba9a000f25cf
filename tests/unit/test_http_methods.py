"""HTTP method semantics of the server, in process: HEAD mirrors GET, 405 names what is allowed.

RFC 9110 §15.5.6: a 405 response MUST carry an Allow header listing the target's methods;
§9.3.2: HEAD is GET without the body (same status and headers).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.serving_helpers import MODEL, Client, serving_client
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit

GET_ROUTES = ["/v2/health/live", "/v2/health/ready", "/v2", "/model", f"/v2/models/{MODEL}"]
POST_ROUTES = ["/v1/predict", f"/v2/models/{MODEL}/infer"]


@pytest.fixture
def client(tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    with serving_client(tiny_model.models, monkeypatch) as c:
        yield c


def allowed(reply: object) -> set[str]:
    """The methods an Allow header lists (empty when the header is missing)."""
    value = reply.headers.get("allow", "")  # type: ignore[attr-defined]
    return {m.strip().upper() for m in value.split(",") if m.strip()}


@pytest.mark.parametrize("path", GET_ROUTES)
def test_head_is_get_without_the_body(client: Client, path: str) -> None:
    get, head = client.get(path), client.request("HEAD", path)
    assert head.status_code == get.status_code == 200, (path, get.text)
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert int(head.headers["content-length"]) == len(get.content)


@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_405_on_a_post_route_allows_post(client: Client, path: str, method: str) -> None:
    reply = client.request(method, path)
    assert reply.status_code == 405, (method, path, reply.status_code)
    assert allowed(reply) == {"POST"}, f"{method} {path}: Allow is {reply.headers.get('allow')!r}"


@pytest.mark.parametrize("path", GET_ROUTES)
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_405_on_a_get_route_allows_get_and_head(client: Client, path: str, method: str) -> None:
    reply = client.request(method, path)
    assert reply.status_code == 405, (method, path, reply.status_code)
    assert allowed(reply) == {"GET", "HEAD"}, (
        f"{method} {path}: Allow is {reply.headers.get('allow')!r}"
    )
