"""The OpenAPI spec (``/docs.json``) and the Swagger UI page (``/`` and ``/docs``), our own.

BentoML's page loads a Google Tag Manager script and an iframe from a third party into the
browser of whoever opens it (a bank's staff, on an internal network), and its spec is titled
with the service's name, versioned "None" and credits "BentoML Team". These routes are mounted
ahead of BentoML's and replace them:

- the spec carries the project's title, version (the installed package's) and description; it
  is FastAPI's for the ``/v1`` routes, errors as ``application/problem+json``, plus the health
  routes BentoML serves;
- the page loads only Swagger UI files shipped inside the BentoML package (served by BentoML
  at ``/static_content``, offline) and its own start-up script; no validator badge (Swagger UI
  would fetch it from validator.swagger.io); a Content-Security-Policy lets the browser load
  nothing from anywhere else.

Being mounted at ``/``, this app also answers every path that is neither BentoML's nor under
``/v1``: a 404, or a 405 naming the methods allowed, as a problem with the request id, as ``/v1``
answers (Starlette's own are plain text). BentoML passes a request to a mounted app only when one
of its routes matches, so the last route here matches every path but those of BentoML's routed
after this app (its static files).
"""

from __future__ import annotations

import json
from functools import cache
from importlib.metadata import version
from typing import Any

from fastapi.openapi.utils import get_openapi
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Match, Route, get_route_path
from starlette.types import Scope

from serving.api import METHODS, v1
from serving.context import IDEMPOTENCY_KEY, REQUEST_ID, RequestContext
from serving.idempotency import REPLAYED
from serving.problems import PROBLEM_JSON, problem_response

TITLE = "riskmodels scoring API"
DESCRIPTION = """Credit decisions for small and micro business loans (小微企业贷款): fraud score,
credit score, risk class, limit, rate and decision with reasons (the A card); behavioural and
collection scores of booked accounts (the B and C cards).

- **Keys.** Every `/v1` route needs `Authorization: Bearer <key>`: a scoring key
  (`RISKMODELS_API_KEYS`) for `/v1/score/*`, an admin key (`RISKMODELS_ADMIN_KEYS`) for
  `/v1/admin/*`, either for `GET /v1/models`. `/livez`, `/readyz` and `/metrics` are open.
- **Errors.** Every 4xx and 5xx is `application/problem+json` (RFC 9457) with the request id;
  bad input names each field and the rule it broke. Nothing is half-scored.
- **Request ids.** `X-Request-ID` is echoed (1-128 of `A-Z a-z 0-9 . _ ~ -`), or made when
  absent; it is the decision's `request_id` and its audit record's id (`<id>:<index>` for a
  batch's rows). An id already used is 409.
- **Idempotency.** A scoring request or a draw sent again with the same `Idempotency-Key` and
  body gets the first answer again (`Idempotent-Replayed: true`) and draws nothing; the same key
  with another body is 409.
- **Batches.** Each row is scored or refused on its own, at its index, with counts.
"""
# Only this page's own origin: scripts, styles, images, the spec. Swagger UI styles inline.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

PAGE = """<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>{title}</title>
    <link rel="stylesheet" type="text/css" href="./static_content/swagger-ui.css" />
    <link rel="icon" type="image/png" href="./static_content/favicon-light-32x32.png" sizes="32x32" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="./static_content/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="./docs/swagger-init.js" charset="UTF-8"></script>
  </body>
</html>
"""
START = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "./docs.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
};
"""


BEARER = "HTTPBearer"


def _infra_paths() -> dict[str, Any]:
    """BentoML's health and metrics routes, as they answer (plain text)."""
    text = {"text/plain": {"schema": {"type": "string"}}}

    def get(summary: str, responses: dict[str, str]) -> dict[str, Any]:
        return {"get": {"summary": summary, "tags": ["infrastructure"], "security": [],
                        "responses": {code: {"description": d, "content": text} for code, d in responses.items()}}}

    return {"/livez": get("Alive: the process answers", {"200": "Alive"}),
            "/readyz": get("Ready: keys configured and the champions loaded",
                           {"200": "Ready", "503": "Not ready: no scoring key, or a required champion missing"}),
            "/metrics": get("Prometheus metrics", {"200": "Metrics in the Prometheus text format"})}


def _idempotent(path: str) -> bool:
    """The routes that take an ``Idempotency-Key``: scoring, and a draw (a retry must not draw twice)."""
    return path.startswith("/score/") or path == "/drawdown"


def _request_headers(path: str) -> list[dict[str, Any]]:
    headers = [{"name": REQUEST_ID, "in": "header", "required": False,
                "description": "Your id for this request, echoed back; made by the service when absent",
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9._~-]{1,128}$"}}]
    if _idempotent(path):
        headers.append({"name": IDEMPOTENCY_KEY, "in": "header", "required": False,
                        "description": "A repeat with the same key and body gets the first answer again "
                                       f"(header {REPLAYED}: true); the same key with another body is 409",
                        "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"}})
    return headers


@cache
def spec() -> dict[str, Any]:
    """The OpenAPI document of the service (built once)."""
    api = get_openapi(title=TITLE, version=version("riskmodels"), description=DESCRIPTION, routes=v1.routes,
                      tags=[{"name": "scoring"}, {"name": "admin"}, {"name": "infrastructure"}])
    paths: dict[str, Any] = {}
    stamp = {REQUEST_ID: {"description": "The request id (yours, or the one the service made; a replay's: "
                                         "the first answer's)", "schema": {"type": "string"}}}
    replayed = {REPLAYED: {"description": "true when the answer is the first one given to this "
                                          "Idempotency-Key", "schema": {"type": "string", "enum": ["true"]}}}
    for path, item in api["paths"].items():
        for method, operation in item.items():
            operation["tags"] = ["admin" if path.startswith("/admin/") else "scoring"]
            operation["parameters"] = [*operation.get("parameters", []), *_request_headers(path)]
            for code, response in operation["responses"].items():
                response["headers"] = {**stamp, **(replayed if code == "200" and _idempotent(path) else {})}
                content = response.get("content", {})
                if int(code) >= 400 and "application/json" in content:
                    content[PROBLEM_JSON] = content.pop("application/json")
            item[method] = operation
        paths[f"/v1{path}"] = item
    api["paths"] = {**paths, **_infra_paths()}
    api.setdefault("components", {})["securitySchemes"] = {BEARER: {
        "type": "http", "scheme": "bearer",
        "description": "A scoring key (RISKMODELS_API_KEYS); an admin key (RISKMODELS_ADMIN_KEYS) for /v1/admin/*"}}
    api["security"] = [{BEARER: []}]  # every route; the infrastructure routes say "security": [] themselves
    return api


async def _page(request: Request) -> Response:
    return HTMLResponse(PAGE.format(title=TITLE), headers=_HEADERS)


async def _start(request: Request) -> Response:
    return Response(START, media_type="text/javascript", headers=_HEADERS)


@cache
def _spec_bytes() -> bytes:
    return json.dumps(spec(), ensure_ascii=False).encode("utf-8")


async def _spec(request: Request) -> Response:
    return Response(_spec_bytes(), media_type="application/json", headers={"X-Content-Type-Options": "nosniff"})


_BENTOML_AFTER = ("/static_content", "/assets")  # BentoML's own routes after this app: its static files


class _Elsewhere(Route):
    """Matches every path but BentoML's static files (module docstring)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not get_route_path(scope).startswith(_BENTOML_AFTER):
            return Match.FULL, {"endpoint": self.endpoint, "path_params": {}}
        return Match.NONE, {}


async def _elsewhere(request: Request) -> Response:
    """A path no route has (404), or a method its route does not take (405, with ``Allow``): the
    routes are BentoML's (its router is the outermost, ``scope["router"]``) and this app's."""
    routes = [*getattr(request.scope.get("router"), "routes", ()), *docs.routes]
    allowed = sorted({method for route in routes if isinstance(route, Route) and not isinstance(route, _Elsewhere)
                      and route.matches(request.scope)[0] == Match.PARTIAL for method in route.methods or ()})
    if allowed:
        return problem_response(request.scope, 405, f"{request.method} is not allowed on {request.url.path}; use "
                                f"{', '.join(allowed)}", headers={"Allow": ", ".join(allowed)})
    return problem_response(request.scope, 404, f"no route {request.url.path} (the API is under /v1; see /docs.json)")


docs = Starlette(routes=[Route("/", _page), Route("/docs", _page), Route("/docs/swagger-init.js", _start),
                         Route("/docs.json", _spec), _Elsewhere("/", _elsewhere, methods=METHODS)],
                 middleware=[Middleware(RequestContext)])
