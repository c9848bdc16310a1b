"""Deciding and lifting: approval only on proof of a share, each change exactly once."""

from sqlmodel import Session, func, select

from service.takedowns.models import TakedownEvent
from tests.factories import Api, share
from tests.takedowns.conftest import Catalog, Takedowns, put_recording_shares


def _events(session: Session) -> int:
    return session.exec(select(func.count()).select_from(TakedownEvent)).one()


def test_approval_with_a_share_sets_status_and_effective_at(
    td: Takedowns, catalog: Catalog
) -> None:
    takedown = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    response = td.decide(
        takedown["id"], effective_at="2006-11-01T03:00:00+03:00", reason="contract checked"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "approved"
    assert body["effective_at"] == "2006-11-01T00:00:00Z"
    assert body["decided_at"] is not None
    assert [e["action"] for e in body["history"]] == ["requested", "approved"]
    approved = body["history"][1]
    assert approved["reason"] == "contract checked"
    assert approved["effective_at"] == "2006-11-01T00:00:00Z"
    assert approved["actor"] == "admin-token" and approved["actor_role"] == "admin"


def test_effective_at_defaults_to_the_decision_time(td: Takedowns, catalog: Catalog) -> None:
    takedown = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    body = td.decide(takedown["id"]).json()
    assert body["status"] == "approved"
    assert body["effective_at"] == body["decided_at"]


def test_a_share_of_the_recordings_work_also_proves_ownership(
    td: Takedowns, catalog: Catalog
) -> None:
    takedown = td.filed(
        isrc=catalog.isrc_b, territories=["WORLD"], claimant_holder_id=catalog.publisher
    )
    assert td.decide(takedown["id"]).json()["status"] == "approved"


def test_approval_for_a_claimant_holding_no_share_is_422_and_writes_nothing(
    td: Takedowns, catalog: Catalog, session: Session
) -> None:
    takedown = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.stranger)
    before = _events(session)
    response = td.decide(takedown["id"], effective_at="2006-11-01T00:00:00Z")
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "no_share"
    assert catalog.stranger in problem["detail"] and "US" in problem["detail"]
    assert problem["territories_without_share"] == ["US"]
    assert problem["takedown_id"] == takedown["id"]
    assert _events(session) == before
    assert td.get(takedown["id"]).json()["status"] == "pending"
    # ...and it can still be rejected, with a reason.
    rejected = td.decide(takedown["id"], approve=False, reason="no ownership shown")
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["effective_at"] is None


def test_a_work_share_does_not_prove_a_lone_recording(td: Takedowns, catalog: Catalog) -> None:
    takedown = td.filed(isrc=catalog.isrc_lone, claimant_holder_id=catalog.publisher)
    assert td.decide(takedown["id"]).status_code == 422


def test_territory_specific_shares_decide_where_a_claimant_may_opt_out(
    td: Takedowns, catalog: Catalog
) -> None:
    # lone_label holds the lone recording in RU only.
    in_ru = td.filed(
        isrc=catalog.isrc_lone, territories=["RU"], claimant_holder_id=catalog.lone_label
    )
    assert td.decide(in_ru["id"]).json()["status"] == "approved"
    in_us = td.filed(
        isrc=catalog.isrc_lone, territories=["RU", "US"], claimant_holder_id=catalog.lone_label
    )
    refused = td.decide(in_us["id"])
    assert refused.status_code == 422
    assert refused.json()["territories_without_share"] == ["US"]
    world = td.filed(
        isrc=catalog.isrc_lone, territories=["WORLD"], claimant_holder_id=catalog.lone_label
    )
    assert td.decide(world["id"]).json()["territories_without_share"] == ["WORLD"]


def test_world_needs_a_share_in_every_territory(api: Api, td: Takedowns, catalog: Catalog) -> None:
    # The label holds the WORLD rows, but in DE a distributor's rows replace them.
    distributor = api.holder()["id"]
    put_recording_shares(
        api,
        catalog.isrc_a,
        "2001-01-01",
        [
            share(catalog.label, "neighbouring", "1"),
            share(distributor, "neighbouring", "1", territory="DE"),
        ],
    )
    world = td.filed(isrc=catalog.isrc_a, territories=["WORLD"], claimant_holder_id=catalog.label)
    refused = td.decide(world["id"])
    assert refused.status_code == 422
    assert refused.json()["territories_without_share"] == ["DE"]
    assert "name the territories" in refused.json()["detail"]
    # Named one by one, the territories it does hold are fine.
    us_fr = td.filed(
        isrc=catalog.isrc_a, territories=["FR", "US"], claimant_holder_id=catalog.label
    )
    assert td.decide(us_fr["id"]).json()["status"] == "approved"
    # The work's publisher holds WORLD mechanical with no overrides: WORLD is fine for it.
    by_publisher = td.filed(
        isrc=catalog.isrc_a, territories=["WORLD"], claimant_holder_id=catalog.publisher
    )
    assert td.decide(by_publisher["id"]).json()["status"] == "approved"


def test_shares_are_checked_on_the_decision_date(api: Api, td: Takedowns, catalog: Catalog) -> None:
    # The label sold the master in 2020: it held a share once, but not any more.
    buyer = api.holder()["id"]
    put_recording_shares(api, catalog.isrc_b, "2020-01-01", [share(buyer, "neighbouring", "1")])
    old_owner = td.filed(isrc=catalog.isrc_b, claimant_holder_id=catalog.label)
    assert td.decide(old_owner["id"], effective_at="2006-11-01T00:00:00Z").status_code == 422
    new_owner = td.filed(isrc=catalog.isrc_b, claimant_holder_id=buyer)
    assert td.decide(new_owner["id"]).json()["status"] == "approved"


def test_deciding_twice_is_409(td: Takedowns, catalog: Catalog, session: Session) -> None:
    takedown = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    assert td.decide(takedown["id"]).status_code == 200
    before = _events(session)
    again = td.decide(takedown["id"], approve=False, reason="changed my mind")
    assert again.status_code == 409
    assert again.json()["current_status"] == "approved"
    assert _events(session) == before


def test_a_rejection_needs_a_reason(td: Takedowns, catalog: Catalog) -> None:
    takedown = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    for body in ({"approve": False}, {"approve": False, "reason": "   "}):
        response = td.client.post(
            f"/v1/takedowns/{takedown['id']}/decision", json=body, headers=td.api.admin
        )
        assert response.status_code == 422
        assert ["body", "reason"] in [e["loc"] for e in response.json()["errors"]]
    assert td.get(takedown["id"]).json()["status"] == "pending"


def test_malformed_decisions_are_422(td: Takedowns, catalog: Catalog) -> None:
    takedown = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    for body in (
        {"approve": "yes"},
        {"approve": True, "effective_at": "2006-11-01T00:00:00"},  # no zone: ambiguous
        {"approve": True, "effective_at": "soon"},
        {},
    ):
        response = td.client.post(
            f"/v1/takedowns/{takedown['id']}/decision", json=body, headers=td.api.admin
        )
        assert response.status_code == 422, body
    assert td.get(takedown["id"]).json()["status"] == "pending"


def test_only_an_admin_decides_or_lifts(api: Api, td: Takedowns, catalog: Catalog) -> None:
    takedown = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    holder = api.key("rights_holder", catalog.label)
    assert td.decide(takedown["id"], holder).status_code == 403
    store = api.key("store", api.store()["code"])
    assert td.decide(takedown["id"], store).status_code == 403
    lift = td.client.post(
        f"/v1/takedowns/{takedown['id']}/lift",
        json={"reason": "x"},
        headers={"Authorization": f"Bearer {holder}"},
    )
    assert lift.status_code == 403


def test_unknown_takedown_is_404(td: Takedowns) -> None:
    assert td.decide("nope").status_code == 404
    assert td.lift("nope").status_code == 404
    assert td.get("nope").status_code == 404


def test_lift_an_approved_takedown(td: Takedowns, catalog: Catalog) -> None:
    takedown = td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    too_early = td.lift(takedown["id"], effective_at="2006-10-31T23:59:59Z")
    assert too_early.status_code == 422
    assert too_early.json()["errors"][0]["loc"] == ["body", "effective_at"]
    assert td.lift(takedown["id"], reason="").status_code == 422
    lifted = td.lift(takedown["id"], effective_at="2007-01-01T00:00:00Z", reason="licence signed")
    assert lifted.status_code == 200, lifted.text
    body = lifted.json()
    assert body["status"] == "lifted"
    assert body["effective_at"] == "2006-11-01T00:00:00Z"
    assert body["lift_effective_at"] == "2007-01-01T00:00:00Z"
    assert [e["action"] for e in body["history"]] == ["requested", "approved", "lifted"]
    assert body["history"][-1]["reason"] == "licence signed"
    assert td.lift(takedown["id"]).status_code == 409


def test_only_approved_takedowns_can_be_lifted(td: Takedowns, catalog: Catalog) -> None:
    pending = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    assert td.lift(pending["id"]).status_code == 409
    td.decide(pending["id"], approve=False, reason="no proof")
    assert td.lift(pending["id"]).status_code == 409
