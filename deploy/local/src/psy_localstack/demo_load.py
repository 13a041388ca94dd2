"""Loads the demo data set into a running local stack (`make up` calls it; safe to run twice).

1. The regional administrator logs in through the ESIA simulator (scripted with login_hint) and
   provisions every demo psychologist in identity, as an administrator would in production.
2. The catalog gets their profiles, weekly schedules and a month of slots; its outbox publishes
   psychologist.published and slot.opened, from which booking builds its replica.
"""

import argparse
import asyncio
import os
from urllib.parse import parse_qs, urlsplit

import httpx

from psy_localstack import demo

IDENTITY = os.environ.get("DEMO_IDENTITY_URL", "http://127.0.0.1:8001")
RETURN_TO = "http://127.0.0.1:8000/auth/done"
ADMIN_OID = "1000090"


async def login(client: httpx.AsyncClient, oid: str) -> str:
    """The whole redirect dance without a browser; returns an access token."""
    url = f"{IDENTITY}/auth/login"
    params: dict[str, str] | None = {"return_to": RETURN_TO, "login_hint": oid}
    for _ in range(10):
        response = await client.get(url, params=params)
        params = None
        location = response.headers.get("location")
        if response.status_code not in (302, 303, 307) or not location:
            raise RuntimeError(f"login of {oid} stopped at {url}: {response.status_code}")
        if location.startswith(RETURN_TO):
            ticket = parse_qs(urlsplit(location).query)["ticket"][0]
            tokens = await client.post(
                f"{IDENTITY}/auth/token", json={"grant_type": "ticket", "ticket": ticket}
            )
            tokens.raise_for_status()
            return str(tokens.json()["access_token"])
        url = location
    raise RuntimeError(f"login of {oid}: too many redirects")


async def provision_psychologists(psychologists: list[demo.Person]) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        headers = {"Authorization": f"Bearer {await login(client, ADMIN_OID)}"}
        for person in psychologists:
            response = await client.post(
                f"{IDENTITY}/admin/psychologists", json={"esia_oid": person.oid}, headers=headers
            )
            if response.status_code not in (200, 201):
                raise RuntimeError(f"provisioning {person.oid}: {response.text}")


async def load_catalog(psychologists: list[demo.Person], days: int) -> dict[str, int]:
    # Imported here: the catalog package is a dev dependency of this loader, nothing more.
    from psy_catalog.config import CatalogSettings
    from psy_catalog.demo import load_demo

    rows = [
        {
            "id": str(p.id),
            "full_name": p.full_name,
            "school": p.school,
            "region": p.region.name,
            "timezone": p.region.timezone,
        }
        for p in psychologists
    ]
    return await load_demo(CatalogSettings(), rows, days=days)


async def main(size: int, days: int, skip_identity: bool) -> None:
    psychologists = [p for p in demo.people(size) if p.role == "psychologist"]
    if not skip_identity:
        await provision_psychologists(psychologists)
        print(f"[demo] identity: {len(psychologists)} psychologists provisioned")
    figures = await load_catalog(psychologists, days)
    print(f"[demo] catalog: {figures}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=50, help="psychologists in all")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--skip-identity", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.size, args.days, args.skip_identity))
