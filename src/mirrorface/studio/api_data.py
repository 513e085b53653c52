"""stub"""
from fastapi import APIRouter, WebSocket

router = APIRouter()


@router.post("/api/babble")
def babble() -> dict:
    return {}


@router.post("/api/chat")
def chat() -> dict:
    return {}


