"""Issue 27: a rights holder cannot file a takedown for an asset it holds no share of
(it could never be approved); the API answers a clear 422 and writes nothing."""

from sqlmodel import Session, func, select

from service.takedowns.models import Takedown
from tests.takedowns.conftest import Api, Catalog, Takedowns


def test_a_holder_without_a_share_cannot_file(
    api: Api, td: Takedowns, catalog: Catalog, session: Session
) -> None:
    token = api.key("rights_holder", catalog.stranger)
    response = td.file(token, isrc=catalog.isrc_a, claimant_holder_id=catalog.stranger)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "no_share"
    assert catalog.isrc_a in problem["detail"]
    assert problem["errors"] == [
        {"loc": ["body", "isrc"], "msg": "the claimant holds no share of it"}
    ]
    assert session.exec(select(func.count()).select_from(Takedown)).one() == 0


def test_a_holder_of_the_work_may_file_for_its_recording(
    api: Api, td: Takedowns, catalog: Catalog
) -> None:
    token = api.key("rights_holder", catalog.publisher)
    response = td.file(token, isrc=catalog.isrc_a, claimant_holder_id=catalog.publisher)
    assert response.status_code == 201, response.text
