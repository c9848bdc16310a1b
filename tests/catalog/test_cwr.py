"""CWR intake (POST /v1/catalog/cwr) with files written here: the mapping, the rules that
reject a transaction alone, idempotency, effective dates and the ACK file."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.catalog.cwr.parser import parse
from service.parties.affiliations import affiliations_of
from tests.catalog.cwr_files import (
    Tx,
    compact,
    cwr_file,
    holder_by_ipi,
    ipi,
    post_cwr,
    shares_of,
    work,
)
from tests.factories import Api, bearer
from tests.takedowns.conftest import new_iswc


def _song(
    iswc: str, *, title: str = "KALINKA", kind: str = "NWR", pub: int = 11, writer: int = 12
) -> Tx:
    return (
        Tx(kind, title, compact(iswc), work_number=f"W{pub}")
        .spu("P1", "KALINKA MUSIC", ipi(pub), "50", "100")
        .spt("P1", "50", "100")
        .swr("C1", "IVANOV", "IVAN", ipi(writer), "50", "0")
        .swt("C1", "50", "0")
    )


def test_territories_resolve_inclusions_and_exclusions_to_world_and_country_rows(
    client: TestClient, api: Api
) -> None:
    iswc = new_iswc()
    tx = (
        Tx("NWR", "BY SONG", compact(iswc))
        .spu("P1", "WORLD PUB", ipi(21), "50", "100")
        .spt("P1", "50", "100", tis="2136")
        .spt("P1", "0", "0", tis="112", include="E")  # not in Belarus
        .spu("P2", "BELARUS PUB", ipi(22), "0", "0", seq=2)
        .spt("P2", "50", "100", tis="112")  # ... where another publisher collects
        .swr("C1", "WRITER", "ANNA", ipi(23), "50", "0")
        .swt("C1", "50", "0", tis="2136")
    )
    ack = post_cwr(client, api, cwr_file(tx))
    assert ack["acknowledgements"][0]["status"] == "AS", ack
    assert shares_of(api, work(api, iswc)) == {
        (ipi(21), "performance", "WORLD", "0.5"),
        (ipi(23), "performance", "WORLD", "0.5"),
        (ipi(21), "mechanical", "WORLD", "1"),
        (ipi(22), "performance", "BY", "0.5"),
        (ipi(23), "performance", "BY", "0.5"),
        (ipi(22), "mechanical", "BY", "1"),
    }


def test_a_publisher_in_two_chains_collects_the_sum_and_a_stray_spt_is_rejected(
    client: TestClient, api: Api
) -> None:
    summed, stray = new_iswc(), new_iswc()
    chains = (
        Tx("NWR", "TWO CHAINS", compact(summed))
        .spu("P1", "PUB", ipi(501), "25", "50")
        .spt("P1", "25", "50")
        .spu("P1", "PUB", ipi(501), "25", "50", seq=2)
        .spt("P1", "25", "50")
        .swr("C1", "WRITER", "W", ipi(502), "50", "0")
        .swt("C1", "50", "0")
    )
    misplaced = (
        Tx("NWR", "STRAY", compact(stray))
        .spu("P1", "PUB", ipi(501), "50", "100")
        .swr("C1", "WRITER", "W", ipi(502), "50", "0")
        .spt("P1", "50", "100")  # after the SWR: it follows no SPU
    )
    ack = post_cwr(client, api, cwr_file(chains, misplaced))
    assert [t["status"] for t in ack["acknowledgements"]] == ["AS", "RJ"]
    assert shares_of(api, work(api, summed)) == {
        (ipi(501), "performance", "WORLD", "0.5"),
        (ipi(501), "mechanical", "WORLD", "1"),
        (ipi(502), "performance", "WORLD", "0.5"),
    }
    [message] = ack["acknowledgements"][1]["messages"]
    assert (message["record_type"], message["field"], message["text"]) == (
        "SPT",
        "Interested Party #",
        "is not the SPU this record follows",
    )


def test_affiliations_are_recorded_per_right_type(
    client: TestClient, api: Api, session: Session
) -> None:
    post_cwr(client, api, cwr_file(_song(new_iswc(), pub=31, writer=32)))
    publisher, writer = holder_by_ipi(api, ipi(31)), holder_by_ipi(api, ipi(32))
    # SPU: PR society 052, MR society 044; SWR: PR society 010 and no MR society.
    assert affiliations_of(session=session, holder_id=publisher["id"]) == {
        "performance": "052",
        "mechanical": "044",
    }
    assert affiliations_of(session=session, holder_id=writer["id"]) == {"performance": "010"}
    assert (writer["name"], writer["kind"]) == ("IVAN IVANOV", "composer")


def test_each_broken_rule_rejects_its_transaction_alone(client: TestClient, api: Api) -> None:
    good, over, unknown, bad_iswc, bad_field, bad_tis = (new_iswc() for _ in range(6))
    bad_check = compact(bad_iswc)[:-1] + str((int(compact(bad_iswc)[-1]) + 1) % 10)
    text = cwr_file(
        _song(good, pub=41, writer=42),
        # PR collection: 50 % + 60 % in every country
        Tx("NWR", "OVER", compact(over))
        .spu("P1", "PUB", ipi(41), "50", "100")
        .spt("P1", "50", "100")
        .swr("C1", "WRITER", "X", ipi(42), "60", "0")
        .swt("C1", "60", "0"),
        _song(unknown, pub=41, writer=42).raw("ZZZwhatever"),
        Tx("NWR", "BAD ISWC", bad_check).spu("P1", "PUB", ipi(41), "50", "100"),
        _song(bad_field, pub=41, writer=42).raw("SPTP1       " + "      5O000100000000I2136N002"),
        _song(bad_tis, pub=41, writer=42).raw("SWTC1       050000000000000I9999N002"),
    )
    ack = post_cwr(client, api, text)
    statuses = [(t["title"], t["status"]) for t in ack["acknowledgements"]]
    assert statuses == [
        ("KALINKA", "AS"),
        ("OVER", "RJ"),
        ("KALINKA", "RJ"),
        ("BAD ISWC", "RJ"),
        ("KALINKA", "RJ"),
        ("KALINKA", "RJ"),
    ]
    over_texts = [m["text"] for m in ack["acknowledgements"][1]["messages"]]
    assert over_texts == [
        "performance ownership shares total 110.00% > 100%",
        "performance collection shares total 110.00% > 100% in WORLD",
    ]
    reasons = [t["messages"][0] for t in ack["acknowledgements"][2:]]
    assert (reasons[0]["record_type"], reasons[0]["text"]) == ("ZZZ", "unknown record type 'ZZZ'")
    assert (reasons[1]["field"], "check digit" in reasons[1]["text"]) == ("ISWC", True)
    assert (reasons[2]["record_type"], reasons[2]["field"]) == ("SPT", "PR Collection Share")
    assert (reasons[3]["record_type"], reasons[3]["field"]) == ("SWT", "TIS Numeric Code")
    assert work(api, good)["title"] == "KALINKA"
    for rejected in (over, unknown, bad_field, bad_tis):
        assert api.get(f"/v1/works/{rejected}").status_code == 404
    assert (ack["accepted"], ack["rejected"], ack["changed"]) == (1, 5, 1)


def test_reimporting_the_same_file_changes_nothing(client: TestClient, api: Api) -> None:
    iswc = new_iswc()
    text = cwr_file(_song(iswc, pub=51, writer=52).alt("KALINKA MOYA"))
    first = post_cwr(client, api, text)
    assert first["changed"] == 1
    before = (work(api, iswc), api.get("/v1/rights-holders", limit=100).json())
    again = post_cwr(client, api, text)
    assert [(t["status"], t["changed"]) for t in again["acknowledgements"]] == [("AS", False)]
    assert again["changed"] == 0
    assert (work(api, iswc), api.get("/v1/rights-holders", limit=100).json()) == before


def test_a_revision_adds_a_share_version_from_its_date_and_renames(
    client: TestClient, api: Api
) -> None:
    iswc = new_iswc()
    post_cwr(client, api, cwr_file(_song(iswc, pub=61, writer=62)))
    revised = (
        Tx("REV", "KALINKA (REVISED)", compact(iswc))
        .spu("P1", "KALINKA MUSIC", ipi(61), "25", "100")
        .spt("P1", "25", "100")
        .swr("C1", "IVANOV", "IVAN", ipi(62), "75", "0")
        .swt("C1", "75", "0")
    )
    ack = post_cwr(client, api, cwr_file(revised, created="20070101"))
    assert ack["acknowledgements"][0]["status"] == "AS" and ack["valid_from"] == "2007-01-01"
    body = work(api, iswc)
    assert body["title"] == "KALINKA (REVISED)"
    assert [v["valid_from"] for v in body["share_versions"]] == [None, "2007-01-01"]
    assert (ipi(62), "performance", "WORLD", "0.75") in shares_of(api, body)
    # An NWR may not rename a registered work.
    renamed = post_cwr(client, api, cwr_file(_song(iswc, title="ANOTHER", pub=61, writer=62)))
    assert renamed["acknowledgements"][0]["status"] == "RJ"
    assert "a REV changes its title" in renamed["acknowledgements"][0]["messages"][0]["text"]


def test_a_cwr_22_file_links_and_creates_recordings_by_isrc(client: TestClient, api: Api) -> None:
    iswc, known, fresh = new_iswc(), "RUA010699001", "RUA010699002"
    api.recording(known, [], title="Kalinka", artist="Ensemble")
    tx = _song(iswc, pub=71, writer=72).rec(known).rec(fresh, "KALINKA LIVE", "SOYUZ ENSEMBLE")
    ack = post_cwr(client, api, cwr_file(tx, version="2.2"))
    assert (ack["version"], ack["acknowledgements"][0]["status"]) == ("2.2", "AS"), ack
    assert api.get(f"/v1/recordings/{known}").json()["iswc"] == iswc
    created = api.get(f"/v1/recordings/{fresh}").json()
    assert (created["title"], created["artist"], created["iswc"]) == (
        "KALINKA LIVE",
        "SOYUZ ENSEMBLE",
        iswc,
    )


def test_a_recording_linked_elsewhere_is_accepted_with_a_change(
    client: TestClient, api: Api
) -> None:
    other, iswc, isrc = new_iswc(), new_iswc(), "RUA010699003"
    api.work(other, [])
    api.recording(isrc, [], title="Kalinka", artist="Ensemble", iswc=other)
    ack = post_cwr(client, api, cwr_file(_song(iswc, pub=81, writer=82).per("ENSEMBLE").rec(isrc)))
    [tx] = ack["acknowledgements"]
    assert (tx["status"], tx["status_text"]) == ("AC", "accepted_with_changes")
    [message] = tx["messages"]
    assert (message["type"], message["record_type"], message["field"]) == ("F", "REC", "ISRC")
    assert api.get(f"/v1/recordings/{isrc}").json()["iswc"] == other


def test_the_ack_file_acknowledges_each_transaction(client: TestClient, api: Api) -> None:
    good, bad = new_iswc(), new_iswc()
    text = cwr_file(_song(good, pub=91, writer=92), _song(bad, pub=91, writer=92).raw("ZZZ"))
    response = client.post(
        "/v1/catalog/cwr",
        content=text.encode(),
        headers={**api.admin, "Accept": "text/plain", "Content-Type": "text/plain"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    ack = parse(response.text)  # a valid CWR file: control counts agree
    assert [t.transaction_type for t in ack.transactions] == ["ACK", "ACK"]
    headers = [t.header for t in ack.transactions]
    assert [h.get("Transaction Status") for h in headers] == ["AS", "RJ"]
    assert [h.get("Original Transaction Sequence #") for h in headers] == ["00000000", "00000001"]
    assert headers[0].get("Recipient Creation #") == compact(good)
    [msg] = ack.transactions[1].of_type("MSG")
    assert (msg.get("Message Type"), msg.get("Record Type"), msg.get("Message Level")) == (
        "T",
        "ZZZ",
        "R",
    )
    assert msg.get("Message Text") == "UNKNOWN RECORD TYPE 'ZZZ'"  # CWR text is upper case


def test_only_an_admin_imports(client: TestClient, api: Api) -> None:
    store = api.store()["code"]
    response = client.post(
        "/v1/catalog/cwr",
        content=cwr_file(_song(new_iswc())).encode(),
        headers=bearer(api.key("store", store)),
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "text",
    [b"", b"GRHNWR0000102.10\r\n", b"HDRPB000000199X" + b" " * 44 + b"01.10200611011200002006110"],
)
def test_a_file_without_header_or_trailer_is_refused(
    client: TestClient, api: Api, text: bytes
) -> None:
    assert post_cwr(client, api, text, expect=422)["code"] == "cwr_file_invalid"


def test_a_holder_created_by_a_rejected_transaction_is_not_reused(
    client: TestClient, api: Api
) -> None:
    registered, fresh = new_iswc(), new_iswc()
    api.work(registered, [], title="REGISTERED")
    # The first transaction creates holder 401 and is then rejected (an NWR may not rename):
    # its savepoint is rolled back; the second must create 401 afresh.
    text = cwr_file(_song(registered, pub=401, writer=402), _song(fresh, pub=401, writer=402))
    ack = post_cwr(client, api, text)
    assert [t["status"] for t in ack["acknowledgements"]] == ["RJ", "AS"]
    assert {s[0] for s in shares_of(api, work(api, fresh))} == {ipi(401), ipi(402)}


def test_what_the_ledger_cannot_pay_is_accepted_with_changes(client: TestClient, api: Api) -> None:
    iswc = new_iswc()
    bad_ipi = ipi(601)[:-1] + str((int(ipi(601)[-1]) + 1) % 10)
    tx = (
        Tx("NWR", "PARTLY PAID", compact(iswc))
        .spu("P1", "PUB", ipi(602), "50", "100")
        .spt("P1", "50", "100", tis="2136")
        .spt("P1", "0", "0", tis="250", include="E")  # nobody collects in France
        .swr("C1", "WRITER", "W", bad_ipi, "50", "0")
        .swt("C1", "50", "0", tis="2136")
        .swt(
            "C1",
            "0",
            "0",
            tis="250",
            include="E",
        )
    )
    ack = post_cwr(client, api, cwr_file(tx))
    [t] = ack["acknowledgements"]
    assert (t["status"], t["changed"]) == ("AC", True)
    messages = [(m["type"], m["record_type"], m["field"], m["text"]) for m in t["messages"]]
    assert messages[0][:3] == ("F", "SWR", "Writer IPI Name #")
    assert messages[0][3].endswith("its share stays unclaimed")
    assert [m[3] for m in messages[1:]] == [
        f"no holder collects {right} in FR; the ledger cannot leave a territory unpaid "
        "while WORLD shares apply, so WORLD's shares apply there"
        for right in ("performance", "mechanical")
    ]
    body = work(api, iswc)
    assert shares_of(api, body) == {
        (ipi(602), "performance", "WORLD", "0.5"),
        (ipi(602), "mechanical", "WORLD", "1"),
    }
    assert {(u["right_type"], u["share"]) for u in body["unclaimed"]} == {("performance", "0.5")}


def test_valid_from_dates_a_revision_and_a_clashing_version_rejects_it(
    client: TestClient, api: Api
) -> None:
    iswc = new_iswc()
    post_cwr(client, api, cwr_file(_song(iswc, pub=701, writer=702)))

    def revision(writer_share: str) -> str:
        publisher_share = str(100 - int(writer_share))
        return cwr_file(
            Tx("REV", "KALINKA", compact(iswc))
            .spu("P1", "KALINKA MUSIC", ipi(701), publisher_share, "100")
            .spt("P1", publisher_share, "100")
            .swr("C1", "IVANOV", "IVAN", ipi(702), writer_share, "0")
            .swt("C1", writer_share, "0")
        )

    ack = post_cwr(client, api, revision("60"), valid_from="2008-01-01")
    assert (ack["valid_from"], ack["acknowledgements"][0]["status"]) == ("2008-01-01", "AS")
    versions = work(api, iswc)["share_versions"]
    assert [v["valid_from"] for v in versions] == [None, "2008-01-01"]
    # Other shares from the same day: the catalog refuses a second version that day.
    clash = post_cwr(client, api, revision("70"), valid_from="2008-01-01")
    [t] = clash["acknowledgements"]
    assert (
        t["status"] == "RJ"
        and "already has a share version from 2008-01-01" in (t["messages"][0]["text"])
    )
    assert len(work(api, iswc)["share_versions"]) == 2
