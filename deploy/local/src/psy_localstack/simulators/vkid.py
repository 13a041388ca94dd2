"""vkid simulator (filled in by its service's issue)."""

from fastapi import APIRouter

router = APIRouter()
