"""Filing a takedown: who may, what it must carry, and that a refusal writes nothing."""

from sqlmodel import Session, func, select

from service.takedowns.models import Takedown, TakedownEvent, TakedownTerritory
from tests.factories import Api
from tests.takedowns.conftest import Catalog, Takedowns, evidence


def _count(session: Session) -> tuple[int, int, int]:
    return (
        session.exec(select(func.count()).select_from(Takedown)).one(),
        session.exec(select(func.count()).select_from(TakedownTerritory)).one(),
        session.exec(select(func.count()).select_from(TakedownEvent)).one(),
    )


def test_a_holder_files_for_itself_and_it_is_pending(
    api: Api, td: Takedowns, catalog: Catalog
) -> None:
    token = api.key("rights_holder", catalog.label)
    proof = evidence("registration", "label copy registration")
    response = td.file(
        token,
        isrc=catalog.isrc_a,
        territories=["us", "FR", "US"],
        claimant_holder_id=catalog.label,
        evidence={**proof, "sha256": proof["sha256"].upper()},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert body["isrc"] == catalog.isrc_a and body["iswc"] is None
    assert body["isrcs"] == [catalog.isrc_a]
    assert body["territories"] == ["FR", "US"]
    assert body["evidence"] == proof  # hash kept lower-case
    assert body["effective_at"] is None and body["decided_at"] is None
    [requested] = body["history"]
    assert requested["action"] == "requested" and requested["status"] == "pending"
    assert requested["actor_role"] == "rights_holder"
    assert requested["actor"] not in (None, "admin-token")
    assert requested["evidence"] == proof


def test_an_admin_files_for_a_holder_and_a_work_lists_its_recordings(
    td: Takedowns, catalog: Catalog
) -> None:
    body = td.filed(iswc=catalog.iswc, territories=["WORLD"], claimant_holder_id=catalog.publisher)
    assert body["iswc"] == catalog.iswc
    assert body["isrcs"] == sorted([catalog.isrc_a, catalog.isrc_b])
    assert body["history"][0]["actor"] == "admin-token"
    assert body["history"][0]["actor_role"] == "admin"


def test_a_holder_cannot_file_for_another(
    api: Api, td: Takedowns, catalog: Catalog, session: Session
) -> None:
    token = api.key("rights_holder", catalog.stranger)
    response = td.file(token, isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert _count(session) == (0, 0, 0)


def test_stores_and_societies_cannot_file(api: Api, td: Takedowns, catalog: Catalog) -> None:
    for role, subject in (("store", api.store()["code"]), ("society", api.society()["code"])):
        response = td.file(
            api.key(role, subject), isrc=catalog.isrc_a, claimant_holder_id=catalog.label
        )
        assert response.status_code == 403, role


def test_no_token_is_401(td: Takedowns, catalog: Catalog) -> None:
    response = td.client.post("/v1/takedowns", json={"isrc": catalog.isrc_a})
    assert response.status_code == 401


# Each case: what is changed in a valid body, and the field the problem must name.
INVALID: list[tuple[dict[str, object], list[object]]] = [
    ({"iswc": "WORK"}, ["body", "iswc"]),  # both assets
    ({"isrc": None}, ["body", "iswc"]),  # neither
    ({"isrc": "NOT-AN-ISRC"}, ["body", "isrc"]),
    ({"territories": []}, ["body", "territories"]),
    ({"territories": ["WORLD", "US"]}, ["body", "territories"]),
    ({"territories": ["XX"]}, ["body", "territories", 0]),
    ({"evidence": None}, ["body", "evidence"]),
    ({"evidence": "DROP"}, ["body", "evidence"]),
    ({"evidence": {"sha256": "ab" * 31}}, ["body", "evidence", "sha256"]),
    ({"evidence": {"sha256": "g" * 64}}, ["body", "evidence", "sha256"]),
    ({"evidence": {"kind": "hearsay"}}, ["body", "evidence", "kind"]),
    ({"evidence": {"reference": "  "}}, ["body", "evidence", "reference"]),
    ({"claimant_holder_id": "nobody"}, ["body", "claimant_holder_id"]),
    ({"isrc": "RUA010699999"}, ["body", "isrc"]),  # valid, but not in the catalog
    ({"color": "red"}, ["body", "color"]),
]


# One test for every case: each test pays for a fresh app, and these are one request each.
def test_invalid_requests_are_422_with_the_field_and_write_nothing(
    td: Takedowns, catalog: Catalog, session: Session
) -> None:
    for change, loc in INVALID:
        _refused(td, catalog, session, change, loc)


def _refused(
    td: Takedowns,
    catalog: Catalog,
    session: Session,
    change: dict[str, object],
    loc: list[object],
) -> None:
    body: dict[str, object] = {
        "isrc": catalog.isrc_a,
        "territories": ["US"],
        "claimant_holder_id": catalog.label,
        "evidence": evidence(),
    }
    for key, value in change.items():
        if key == "iswc":
            body["iswc"] = catalog.iswc
        elif key == "evidence" and value == "DROP":
            del body["evidence"]
        elif key == "evidence" and isinstance(value, dict):
            body["evidence"] = {**evidence(), **value}
        else:
            body[key] = value
    response = td.file(defaults=False, **body)
    assert response.status_code == 422, (change, response.text)
    problem = response.json()
    assert problem["status"] == 422 and problem["code"] == "invalid"
    assert loc in [error["loc"] for error in problem["errors"]], problem
    assert _count(session) == (0, 0, 0), change
