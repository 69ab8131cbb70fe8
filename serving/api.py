"""The whole ``/v1`` app: the scoring routes (``serving.routes``), then the loan's later stages,
each in its own module with an ``APIRouter``, then the catch-all that answers any other path
or method as a problem. The catch-all must come last, or it would shadow the routers after it.
"""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.routing import APIRoute

from serving import guard, routes_diligence, routes_loans
from serving.problems import ProblemError
from serving.routes import v1

_ROUTERS = (routes_loans.router, routes_diligence.router)
for _router in _ROUTERS:
    v1.include_router(_router)

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]  # a catch-all answers each


@v1.api_route("/{rest:path}", methods=METHODS, include_in_schema=False)
async def elsewhere(request: Request) -> Response:
    """Any other path or method under /v1: 404 or 405 as a problem (BentoML's own would be
    plain text, and would skip the key)."""
    path = guard.route_path(request.scope)
    # FastAPI keeps an included router as one entry of v1.routes: its routes are read from it.
    routes = [*v1.routes, *(r for router in _ROUTERS for r in router.routes)]
    allowed = sorted({m for r in routes if isinstance(r, APIRoute) and r.endpoint is not elsewhere
                      and r.path_regex.match(path) for m in r.methods or ()})
    if allowed:
        raise ProblemError(405, f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}",
                           headers={"Allow": ", ".join(allowed)})
    raise ProblemError(404, f"no route {request.url.path} in this API (see /docs.json)")


__all__ = ["v1"]
