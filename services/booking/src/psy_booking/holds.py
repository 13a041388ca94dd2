"""Slot holds in Redis: a slot reserved for one user while they fill in step 5.

Keys: "hold:slot:<slot_id>" = "<hold_id> <user_id>" (SET NX with a TTL) and
"hold:user:<user_id>" = "<hold_id> <slot_id>" (one hold per user: a new one releases the old).
Both scripts run atomically in Redis. Losing Redis loses only reservations; the database still
guarantees one booking per slot.
"""

import uuid
from dataclasses import dataclass

from redis.asyncio import Redis

_HOLD = """
local current = redis.call('GET', KEYS[1])
if current then
  local hid, holder = string.match(current, '^(%S+) (%S+)$')
  if holder ~= ARGV[2] then return {'held', hid} end
  redis.call('SET', KEYS[1], current, 'EX', ARGV[4])
  redis.call('SET', KEYS[2], hid .. ' ' .. ARGV[3], 'EX', ARGV[4])
  return {'ok', hid}
end
local previous = redis.call('GET', KEYS[2])
if previous then
  local old_hid, old_slot = string.match(previous, '^(%S+) (%S+)$')
  local old_key = 'hold:slot:' .. old_slot
  if redis.call('GET', old_key) == old_hid .. ' ' .. ARGV[2] then redis.call('DEL', old_key) end
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2], 'EX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[1] .. ' ' .. ARGV[3], 'EX', ARGV[4])
return {'ok', ARGV[1]}
"""

# Release the user's hold if it matches (hold id and/or slot; '' = any). 1 if released.
_RELEASE = """
local mine = redis.call('GET', KEYS[1])
if not mine then return 0 end
local hid, slot = string.match(mine, '^(%S+) (%S+)$')
if (ARGV[2] ~= '' and hid ~= ARGV[2]) or (ARGV[3] ~= '' and slot ~= ARGV[3]) then return 0 end
redis.call('DEL', KEYS[1])
local slot_key = 'hold:slot:' .. slot
if redis.call('GET', slot_key) == hid .. ' ' .. ARGV[1] then redis.call('DEL', slot_key) end
return 1
"""


def slot_key(slot_id: uuid.UUID) -> str:
    return f"hold:slot:{slot_id}"


def user_key(user_id: uuid.UUID) -> str:
    return f"hold:user:{user_id}"


@dataclass(frozen=True)
class Hold:
    id: uuid.UUID
    slot_id: uuid.UUID
    holder: uuid.UUID


class Holds:
    def __init__(self, redis: Redis, seconds: int) -> None:
        self._redis = redis
        self.seconds = seconds
        self._hold = redis.register_script(_HOLD)
        self._release = redis.register_script(_RELEASE)

    async def take(self, slot_id: uuid.UUID, user_id: uuid.UUID) -> Hold | None:
        """The user's hold on the slot (new, or theirs extended); None if someone else holds it."""
        outcome, hold_id = await self._hold(
            keys=[slot_key(slot_id), user_key(user_id)],
            args=[str(uuid.uuid4()), str(user_id), str(slot_id), self.seconds],
        )
        if outcome != "ok":
            return None
        return Hold(uuid.UUID(hold_id), slot_id, user_id)

    async def holder_of(self, slot_id: uuid.UUID) -> Hold | None:
        value = await self._redis.get(slot_key(slot_id))
        if value is None:
            return None
        hold_id, holder = str(value).split(" ", 1)  # decode_responses=True: already str
        return Hold(uuid.UUID(hold_id), slot_id, uuid.UUID(holder))

    async def release(
        self, user_id: uuid.UUID, hold_id: uuid.UUID | None = None, slot_id: uuid.UUID | None = None
    ) -> bool:
        released = await self._release(
            keys=[user_key(user_id)],
            args=[str(user_id), str(hold_id or ""), str(slot_id or "")],
        )
        return bool(released)
