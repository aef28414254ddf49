"""/openapi.json and /docs: the generated document and a page that renders it."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

import falcon
import swagger_ui

ASSETS = Path(swagger_ui.__file__).parent / "static"
SERVED_ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"}

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Loconomics API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="docs"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#docs", deepLinking: true});
  </script>
</body>
</html>
"""


class OpenApiDocument:
    def __init__(self, spec: dict):
        self.text = json.dumps(spec)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = "application/json"
        resp.text = self.text


class DocsPage:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = "text/html; charset=utf-8"
        resp.text = PAGE


class DocsAsset:
    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        if name not in SERVED_ASSETS:
            raise falcon.HTTPNotFound(description="No such asset.")
        resp.content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        resp.cache_control = ["public", "max-age=86400"]
        resp.data = (ASSETS / name).read_bytes()
