"""A container registry stand-in on 127.0.0.1: the part of the OCI distribution API a push uses.

`GET /v2/` checks HTTP basic credentials (what `docker login` does); `PUT
/v2/<name>/manifests/<tag>` stores a manifest under its sha256 and answers the digest in
`Docker-Content-Digest`, as a registry does, so the digest a workflow writes into Git is one
the registry computed, not one the workflow made up. Blobs are not modelled (the build-push
stand-in pushes a manifest describing what it would have built; see its action.yml).
"""

from __future__ import annotations

import base64
import hashlib
import re
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.loopback import serve_state

MANIFEST = re.compile(r"/v2/(?P<name>[a-z0-9._/-]+)/manifests/(?P<ref>[A-Za-z0-9_.:-]+)")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


@dataclass
class Registry:
    """What was pushed: (name, tag) -> digest, digest -> manifest bytes; who logged in."""

    url: str = ""
    tags: dict[tuple[str, str], str] = field(default_factory=dict)
    manifests: dict[str, bytes] = field(default_factory=dict)
    logins: list[str] = field(default_factory=list)

    def digest(self, name: str, tag: str) -> str:
        """The digest pushed as name:tag (KeyError when nothing was)."""
        return self.tags[(name, tag)]


def _user(header: str | None) -> str | None:
    """The user of a non-empty basic credential, else None."""
    if not header or not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user if user and password else None


def _handler(state: Registry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: bytes = b"", **headers: str) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # the login probe, and reading a manifest back
            user = _user(self.headers.get("Authorization"))
            if user is None:
                self._reply(401, WWW_Authenticate='Basic realm="stand-in"')
            elif self.path == "/v2/":
                state.logins.append(user)
                self._reply(200, b"{}")
            elif (m := MANIFEST.fullmatch(self.path)) and (m["name"], m["ref"]) in state.tags:
                digest = state.tags[(m["name"], m["ref"])]
                self._reply(200, state.manifests[digest], Docker_Content_Digest=digest)
            else:
                self._reply(404)

        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            m = MANIFEST.fullmatch(self.path)
            if _user(self.headers.get("Authorization")) is None:
                self._reply(401)
            elif m is None or self.headers.get("Content-Type") != OCI_MANIFEST:
                self._reply(400)
            else:
                digest = f"sha256:{hashlib.sha256(body).hexdigest()}"
                state.manifests[digest] = body
                state.tags[(m["name"], m["ref"])] = digest
                self._reply(
                    201,
                    Docker_Content_Digest=digest,
                    Location=f"/v2/{m['name']}/manifests/{digest}",
                )

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


def registry_server() -> AbstractContextManager[Registry]:
    """Serve a Registry on 127.0.0.1 (a free port) for the duration of the block."""
    return serve_state(Registry(), _handler)
