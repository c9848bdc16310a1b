"""HTTP endpoints of the statements domain."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["statements"])
