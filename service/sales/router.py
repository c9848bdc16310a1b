"""HTTP endpoints of the sales domain."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["sales"])
