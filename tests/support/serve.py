"""Serving an ASGI app on a real loopback port inside the test's event loop (lifespan included)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn


@contextlib.asynccontextmanager
async def serving(app, host: str = "127.0.0.1") -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """Yields the base URL; on exit the server shuts down gracefully (lifespan shutdown runs)."""
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=0, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # surfaces a startup failure
            raise RuntimeError("server stopped during startup")
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task
