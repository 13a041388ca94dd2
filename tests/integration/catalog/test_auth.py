"""Who may call what: reads need a signed-in user, a schedule its listed psychologist,
a profile an admin."""

import uuid

from tests.integration.catalog.conftest import Catalog, local_day

PROFILE = {
    "full_name": "Морозова Наталья Викторовна",
    "school": "МБОУ «Школа № 5»",
    "region": "Самарская область",
    "timezone": "Europe/Samara",
    "topics": ["anxiety"],
    "formats": ["video"],
}


async def test_topics_are_public_and_in_russian(catalog: Catalog) -> None:
    response = await catalog.http.get("/topics")
    assert response.status_code == 200
    titles = {t["code"]: t["title"] for t in response.json()}
    assert titles["exam_stress"] == "Стресс перед экзаменами"
    assert titles["bullying"] == "Травля (буллинг)"
    assert len(titles) >= 11


async def test_every_other_endpoint_checks_the_caller(catalog: Catalog) -> None:
    pid = await catalog.add_psychologist("Волкова Екатерина Олеговна")
    listed = catalog.as_("psychologist", pid)
    unlisted = catalog.as_("psychologist")  # a psychologist account without a profile
    calls = [
        ("GET", "/psychologists", None),
        ("GET", f"/psychologists/{pid}", None),
        ("GET", f"/psychologists/{pid}/slots", None),
        ("GET", "/me/schedule", None),
        ("PUT", "/me/schedule", {"rules": []}),
        ("GET", "/me/slots", None),
        ("POST", "/me/slots", {"starts_at": f"{local_day(9)}T10:00", "formats": ["video"]}),
        ("DELETE", f"/me/slots/{uuid.uuid4()}", None),
        ("PUT", f"/psychologists/{uuid.uuid4()}", PROFILE),
    ]
    for method, path, body in calls:
        response = await catalog.http.request(method, path, json=body)
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "unauthenticated"

    for role in ("parent", "child", "psychologist", "admin"):
        response = await catalog.http.get("/psychologists", headers=catalog.as_(role))
        assert response.status_code == 200, role

    for method, path, body in calls[3:8]:
        for headers, code in (
            (catalog.parent, "forbidden"),
            (catalog.as_("admin"), "forbidden"),
            (unlisted, "profile_required"),
        ):
            response = await catalog.http.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (method, path)
            assert response.json()["error"]["code"] == code, (method, path)
        response = await catalog.http.request(method, path, json=body, headers=listed)
        assert response.status_code in (200, 201, 404), (method, path, response.text)

    for headers in (catalog.parent, listed):
        response = await catalog.http.put(f"/psychologists/{pid}", json=PROFILE, headers=headers)
        assert response.status_code == 403
    created = await catalog.http.put(
        f"/psychologists/{uuid.uuid4()}", json=PROFILE, headers=catalog.as_("admin")
    )
    assert created.status_code == 201
    updated = await catalog.http.put(
        f"/psychologists/{pid}", json=PROFILE, headers=catalog.as_("admin")
    )
    assert updated.status_code == 200
    assert updated.json()["full_name"] == PROFILE["full_name"]
