"""Reading takedowns: who sees what, filters a store relies on, and the kept history."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session

from tests.factories import Api
from tests.takedowns.conftest import Catalog, Takedowns, evidence


def _ids(response: object) -> list[str]:
    body = response.json()  # type: ignore[attr-defined]
    return [t["id"] for t in body["data"]]


def test_a_holder_sees_only_its_own_takedowns(api: Api, td: Takedowns, catalog: Catalog) -> None:
    label_token = api.key("rights_holder", catalog.label)
    publisher_token = api.key("rights_holder", catalog.publisher)
    own = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    other = td.filed(iswc=catalog.iswc, claimant_holder_id=catalog.publisher)
    assert _ids(td.list(label_token)) == [own["id"]]
    assert td.get(own["id"], label_token).status_code == 200
    hidden = td.get(other["id"], label_token)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "not_found"
    missing = td.get("0" * 32, label_token).json()
    assert hidden.json() == missing | {"detail": f"No takedown {other['id']}."}  # same as absent
    assert _ids(td.list(label_token, claimant_holder_id=catalog.publisher)) == []
    assert _ids(td.list(publisher_token)) == [other["id"]]


def test_stores_and_admins_see_all_and_societies_are_refused(
    api: Api, td: Takedowns, catalog: Catalog
) -> None:
    one = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    two = td.filed(iswc=catalog.iswc, claimant_holder_id=catalog.publisher)
    store = api.key("store", api.store()["code"])
    assert _ids(td.list(store)) == [one["id"], two["id"]]  # oldest first
    assert _ids(td.list()) == [one["id"], two["id"]]
    assert td.get(two["id"], store).json()["evidence"] == evidence()
    society = api.key("society", api.society()["code"])
    assert td.list(society).status_code == 403
    assert td.get(one["id"], society).status_code == 403


def test_a_store_lists_what_it_must_pull_in_its_territory(
    api: Api, td: Takedowns, catalog: Catalog
) -> None:
    store = api.key("store", api.store()["code"])
    us = td.approved(isrc=catalog.isrc_a, territories=["US"], claimant_holder_id=catalog.label)
    world = td.approved(
        iswc=catalog.iswc, territories=["WORLD"], claimant_holder_id=catalog.publisher
    )
    ru = td.approved(
        isrc=catalog.isrc_lone, territories=["RU"], claimant_holder_id=catalog.lone_label
    )
    td.filed(isrc=catalog.isrc_b, territories=["US"], claimant_holder_id=catalog.label)  # pending
    lifted = td.approved(isrc=catalog.isrc_b, territories=["US"], claimant_holder_id=catalog.label)
    assert td.lift(lifted["id"]).status_code == 200

    in_us = td.list(store, status="approved", territory="us")
    assert _ids(in_us) == [us["id"], world["id"]]
    assert in_us.json()["data"][1]["isrcs"] == sorted([catalog.isrc_a, catalog.isrc_b])
    assert _ids(td.list(store, status="approved", territory="RU")) == [world["id"], ru["id"]]
    assert _ids(td.list(store, territory="WORLD")) == [world["id"]]
    assert _ids(td.list(store, status="lifted")) == [lifted["id"]]
    assert len(_ids(td.list(store, status="pending"))) == 1


def test_asset_filters_and_a_works_takedown_found_by_isrc(td: Takedowns, catalog: Catalog) -> None:
    of_recording = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    of_work = td.filed(iswc=catalog.iswc, claimant_holder_id=catalog.publisher)
    lone = td.filed(isrc=catalog.isrc_lone, claimant_holder_id=catalog.lone_label)
    assert _ids(td.list(isrc=catalog.isrc_a)) == [of_recording["id"], of_work["id"]]
    dashed = (
        f"{catalog.isrc_b[:2]}-{catalog.isrc_b[2:5]}-{catalog.isrc_b[5:7]}-{catalog.isrc_b[7:]}"
    )
    assert _ids(td.list(isrc=dashed)) == [of_work["id"]]
    assert _ids(td.list(isrc=catalog.isrc_lone)) == [lone["id"]]
    assert _ids(td.list(iswc=catalog.iswc.replace("-", "").replace(".", ""))) == [of_work["id"]]


def test_bad_filters_are_422(td: Takedowns) -> None:
    for params in (
        {"territory": "XX"},
        {"isrc": "nope"},
        {"iswc": "T-1"},
        {"status": "gone"},
        {"limit": 0},
    ):
        response = td.list(**params)
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["loc"] == ["query", next(iter(params))]


def test_pages_follow_the_cursor(td: Takedowns, catalog: Catalog) -> None:
    filed = [
        td.filed(isrc=code, claimant_holder_id=catalog.label)["id"]
        for code in (catalog.isrc_a, catalog.isrc_b, catalog.isrc_a)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = td.list(**params).json()
        seen += [t["id"] for t in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == filed


def test_history_keeps_who_when_what_why_and_the_evidence(
    api: Api, td: Takedowns, catalog: Catalog
) -> None:
    holder_key = td.api.post("/v1/api-keys", {"role": "rights_holder", "subject": catalog.label})
    proof = evidence("court_order", "court order 12/2006")
    filed = td.file(
        holder_key["token"], isrc=catalog.isrc_a, claimant_holder_id=catalog.label, evidence=proof
    ).json()
    td.decide(filed["id"], effective_at="2006-11-01T00:00:00Z", reason="order verified")
    td.lift(filed["id"], effective_at="2007-02-01T00:00:00Z", reason="settled")
    history = td.get(filed["id"], holder_key["token"]).json()["history"]
    assert [(e["action"], e["status"]) for e in history] == [
        ("requested", "pending"),
        ("approved", "approved"),
        ("lifted", "lifted"),
    ]
    assert [e["actor"] for e in history] == [holder_key["id"], "admin-token", "admin-token"]
    assert [e["actor_role"] for e in history] == ["rights_holder", "admin", "admin"]
    assert [e["reason"] for e in history] == [None, "order verified", "settled"]
    assert [e["effective_at"] for e in history] == [
        None,
        "2006-11-01T00:00:00Z",
        "2007-02-01T00:00:00Z",
    ]
    assert history[0]["evidence"] == proof
    stamps = [e["at"] for e in history]
    assert all(stamp.endswith("Z") for stamp in stamps) and stamps == sorted(stamps)


def test_the_history_table_refuses_updates_and_deletes(
    td: Takedowns, catalog: Catalog, session: Session
) -> None:
    td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    for statement in (
        "UPDATE takedown_event SET reason = 'rewritten'",
        "DELETE FROM takedown_event",
    ):
        with pytest.raises(DatabaseError, match="append-only"), session.begin_nested():
            session.execute(sa.text(statement))
