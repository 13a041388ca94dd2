"""notify's SSE events, whatever their names, reach the browser as plain messages."""

from collections.abc import AsyncIterator

from psy_portal.sse import reframe


async def lines(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item


async def collect(*items: str) -> list[str]:
    return [chunk async for chunk in reframe(lines(*items))]


async def test_named_events_become_messages_and_pings_stay_keep_alives() -> None:
    out = await collect(
        "event: ready",
        "data: {}",
        "",
        ": ping",
        "",
        "event: message",
        'data: {"id": "1"}',
        "",
    )
    assert out[0].startswith("retry: ")
    assert out[1:] == ["data: {}\n\n", ": keep-alive\n\n", 'data: {"id": "1"}\n\n']


async def test_multi_line_data_and_a_cut_off_last_event() -> None:
    out = await collect("data: a", "data:b", "", "data: c")
    assert out[1:] == ["data: a\ndata: b\n\n", "data: c\n\n"]
