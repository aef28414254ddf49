"""The OpenAPI 3.1 document, built from the operations and their marshmallow schemas."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from .operations import ANONYMOUS, PUBLIC, Operation

STATUS_TEXT = {
    400: "Malformed request (not JSON, wrong content).",
    401: "No access token, or one that is invalid or expired.",
    403: "Signed in, but not allowed to do this.",
    404: "No such resource.",
    409: "Conflicts with the current state.",
    413: "The body is too large.",
    414: "The request line (path and query) is longer than 8190 bytes (gunicorn's HTML page).",
    422: "Invalid input; `errors` names every bad field.",
    429: "Too many requests; see `Retry-After`.",
    503: "A service or the broker is unavailable; see `Retry-After`.",
    504: "A service did not answer in time.",
}
ALWAYS = (400, 503, 504)
# gunicorn refuses an over-long request line itself, with its own HTML page, before the app
SERVER_PAGE_TYPE = "text/html"


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "For validation errors: each bad field and what is wrong."},
    )


def decimal_as_text(converter, field: fields.Field, ret: dict) -> dict:
    """A decimal the services send as text (patronage points such as "19.5", exact where a
    float would not be) is documented as the string it is, not as the number apispec assumes."""
    if not isinstance(field, fields.Decimal) or not field.as_string:
        return {}
    nullable = isinstance(ret.get("type"), list) and "null" in ret["type"]
    return {"type": ["string", "null"] if nullable else "string", "format": "decimal"}


def build_spec(operations: list[Operation], server_url: str) -> dict:
    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title="Loconomics API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[marshmallow],
        info={
            "description": "The public REST API of the Loconomics cooperative: accounts, "
            "listings, search, bookings, memberships, governance and messaging. "
            "No commission: professionals are members who own the platform."
        },
        servers=[{"url": server_url}],
    )
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    marshmallow.converter.add_attribute_function(decimal_as_text)
    spec.components.schema("Problem", schema=ProblemSchema)
    by_path: dict[str, dict] = {}
    for op in operations:
        by_path.setdefault(op.path, {})[op.method.lower()] = describe(op, marshmallow.converter)
    for path, verbs in by_path.items():
        spec.path(path=path, operations=verbs)
    return spec.to_dict()


def path_schema(op: Operation, name: str, converter) -> dict:
    """A path parameter is opaque text (an id) unless the operation names its field."""
    if name not in op.path_fields:
        return {"type": "string"}
    return converter.field2property(op.path_fields[name])


def describe(op: Operation, converter) -> dict:
    entry: dict = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
        "responses": {},
    }
    if op.description:
        entry["description"] = op.description
    parameters = [
        {"in": "path", "name": name, "required": True, "schema": path_schema(op, name, converter)}
        for name in re.findall(r"{(\w+)}", op.path)
    ]
    if op.query:
        parameters.append({"in": "query", "schema": op.query})
    if parameters:
        entry["parameters"] = parameters
    if op.body:
        entry["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": op.body}},
        }
    success: dict = {"description": "Success."}
    if op.response is not None:
        schema: dict | type[Schema] = op.response
        if op.many:
            schema = {"type": "array", "items": op.response}
        success["content"] = {op.content_type: {"schema": schema}}
    elif op.content_type != "application/json":
        success["content"] = {op.content_type: {"schema": {"type": "string"}}}
    entry["responses"][str(op.status)] = success
    codes = set(ALWAYS) | set(op.errors)
    if op.body or op.query or "{" in op.path:
        codes.add(422)
    if "{" in op.path:
        codes.add(404)
    if op.query or "{" in op.path:
        codes.add(414)
    if op.body:
        codes.add(413)
    if op.access == PUBLIC:
        # Open to anyone, but a token that is sent is checked (a signed-in caller sees more).
        codes.add(401)
        entry["security"] = [{}, {"bearer": []}]
    elif op.access != ANONYMOUS:
        codes.add(401)
        entry["security"] = [{"bearer": []}]
    for code in sorted(codes):
        entry["responses"][str(code)] = {
            "description": STATUS_TEXT[code],
            "content": (
                {SERVER_PAGE_TYPE: {"schema": {"type": "string"}}}
                if code == 414
                else {"application/problem+json": {"schema": "Problem"}}
            ),
        }
    return entry
