"""HTTP endpoints of the takedowns domain."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["takedowns"])
