"""Routes of the loan's later stages (diligence); included in ``/v1`` by ``serving.api``."""

from __future__ import annotations

from fastapi import APIRouter

from serving.body import StrictJsonRoute

router = APIRouter(route_class=StrictJsonRoute)
