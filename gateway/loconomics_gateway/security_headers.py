"""Headers every answer carries, so browsers treat our JSON as data and nothing else."""

from __future__ import annotations

import falcon

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    def process_response(self, req, resp: falcon.Response, resource, req_succeeded: bool) -> None:
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.set_header("X-Frame-Options", "DENY")
        resp.set_header("Referrer-Policy", "no-referrer")
        resp.set_header("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        resp.set_header("Cross-Origin-Opener-Policy", "same-origin")
        docs = req.path == "/docs" or req.path.startswith("/docs/")
        resp.set_header("Content-Security-Policy", DOCS_POLICY if docs else API_POLICY)
        if req.get_header("Authorization"):
            resp.set_header("Cache-Control", "no-store")
