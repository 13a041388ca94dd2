"""Re-framing notify's SSE for the browser: every upstream event becomes a plain `message`.

The page only needs "something changed" to refetch the unread count, so event names upstream
(whatever notify calls them) do not matter to the browser; comments pass as keep-alives.
"""

from collections.abc import AsyncIterator

RETRY_MS = 15000


async def reframe(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    data: list[str] = []
    async for line in lines:
        if line == "":
            if data:
                yield "".join(f"data: {part}\n" for part in data) + "\n"
                data = []
        elif line.startswith(":"):
            yield ": keep-alive\n\n"
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield "".join(f"data: {part}\n" for part in data) + "\n"
