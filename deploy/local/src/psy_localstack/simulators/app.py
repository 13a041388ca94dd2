"""The simulators' application: ESIA, VK ID and Сферум stand-ins over the one demo data set."""

import os

from fastapi import FastAPI

from psy_localstack import demo
from psy_localstack.simulators import esia, sferum, vkid

if os.environ.get("ENV", "").lower() == "production":
    raise SystemExit("The simulators are for development and tests; refused with ENV=production.")

app = FastAPI(title="Simulators: ESIA, VK ID, Сферум (local stack only)")
app.include_router(esia.router)
app.include_router(vkid.router, prefix="/vkid")
app.include_router(sferum.router, prefix="/sferum")


@app.get("/demo/people")
async def demo_people() -> list[dict[str, object]]:
    """Who can log in: oid, role, name, birth date, children (oids)."""
    return [
        {
            "oid": p.oid,
            "role": p.role,
            "full_name": p.full_name,
            "birth_date": p.birth_date.isoformat(),
            "email": p.email,
            "region": p.region.name,
            "timezone": p.region.timezone,
            "school": p.school,
            "children": list(p.children),
            "account_id": str(p.id),
        }
        for p in demo.people()
    ]
