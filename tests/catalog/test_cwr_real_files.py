"""CWR intake of real files written by other tools (tests/fixtures/cwr/README.md names
their sources and licences)."""

from fastapi.testclient import TestClient

from service.catalog.cwr.layouts import LAYOUTS
from service.catalog.cwr.parser import cut
from tests.catalog.cwr_files import FIXTURES, holder_by_ipi, post_cwr, shares_of, work
from tests.factories import Api


def test_a_django_music_publisher_file_registers_work_holders_shares_and_titles(
    client: TestClient, api: Api
) -> None:
    ack = post_cwr(client, api, (FIXTURES / "CW210001DMP_000.V21").read_bytes())
    assert (ack["version"], ack["accepted"], ack["rejected"]) == ("2.1", 1, 0)
    [tx] = ack["acknowledgements"]
    assert (tx["status"], tx["iswc"], tx["changed"]) == ("AS", "T-123.456.789-4", True)
    body = work(api, "T-123.456.789-4")
    assert body["title"] == "MUSIC PUB CARTOONS"
    # SPT/SWT collection shares; the OPU without an IPI name number stays unclaimed.
    assert shares_of(api, body) == {
        ("09000000020", "performance", "WORLD", "0.375"),
        ("00000000199", "performance", "WORLD", "0.25"),
        ("00000000297", "performance", "WORLD", "0.25"),
        ("09000000020", "mechanical", "WORLD", "0.75"),
    }
    unclaimed = {(u["right_type"], u["share"]) for u in body["unclaimed"]}
    assert unclaimed == {("performance", "0.125"), ("mechanical", "0.25")}
    assert body["alternative_titles"] == [
        "MPC ACADEMY",
        "MUSIC PUB CARTOONS SUFFIX",
        "MUSIC PUB CARTOONS SUFFIX CO-SUFFIX",
        "WORK RECORDING",
        "WORK RECORDING FEAT. TESTING",
    ]
    publisher = holder_by_ipi(api, "09000000020")
    assert (publisher["name"], publisher["kind"]) == ("TEST PUBLISHER", "publisher")
    writer = holder_by_ipi(api, "00000000199")
    assert (writer["name"], writer["kind"]) == ("MATIJA KOLARIC", "composer")


def test_a_real_file_with_a_malformed_share_is_rejected_with_record_and_field(
    client: TestClient, api: Api
) -> None:
    ack = post_cwr(client, api, (FIXTURES / "CW220004DMP_000.V21").read_bytes())
    [tx] = ack["acknowledgements"]
    assert (tx["status"], tx["status_text"], tx["changed"]) == ("RJ", "rejected", False)
    [message] = tx["messages"]
    assert (message["record_type"], message["field"], message["line"]) == (
        "SWT",
        "PR Collection Share",
        8,
    )
    assert (message["type"], message["level"], message["record_sequence"]) == ("T", "F", 5)
    assert api.get("/v1/works/T-123.456.789-4").status_code == 404


def test_a_registration_without_iswc_is_rejected(client: TestClient, api: Api) -> None:
    ack = post_cwr(client, api, (FIXTURES / "nwrexample2.V21").read_bytes())
    [tx] = ack["acknowledgements"]
    assert tx["status"] == "RJ"
    assert [(m["record_type"], m["field"]) for m in tx["messages"]] == [("NWR", "ISWC")]


def test_a_file_whose_trailer_counts_disagree_is_refused_whole(
    client: TestClient, api: Api
) -> None:
    # A CWR 2.2 file written by Curve, shortened by its publisher without fixing GRT.
    problem = post_cwr(client, api, (FIXTURES / "demo_cwr_cleaned.v22").read_bytes(), expect=422)
    assert problem["code"] == "cwr_file_invalid"
    assert "line 92" in problem["detail"] and "GRT" in problem["detail"]
    assert api.get("/v1/works/T-012.345.678-9").status_code == 404


def test_each_transaction_of_a_real_22_file_is_judged_on_its_own(
    client: TestClient, api: Api
) -> None:
    # The Curve file with its GRT and TRL counts set to what it holds: a CWR 2.2 HDR, XRF
    # records, and a society's ACK (with its MSG) pasted into its REV group.
    text = (
        (FIXTURES / "demo_cwr_cleaned.v22")
        .read_text()
        .replace("GRT000010000003900000720", "GRT000010000001000000091")
        .replace("TRL000010000003900000722", "TRL000010000001000000093")
    )
    ack = post_cwr(client, api, text)
    assert (ack["version"], ack["sender"], ack["created"]) == (
        "2.2",
        "TOTALLY MADE UP PUBLISHING",
        "2025-05-13",
    )
    assert (ack["transactions"], ack["rejected"]) == (10, 10)
    first = [[m["text"] for m in t["messages"]] for t in ack["acknowledgements"][:5]]
    assert first == [
        ["NWR transaction in a REV group"],
        ["NWR transaction in a REV group", "10 where 11 is due"],
        ["blank: the ledger keys works by ISWC"],
        ["blank: the ledger keys works by ISWC"],
        [
            "ACK transaction in a REV group",
            "0 where 4 is due",
            "the ledger registers works from NWR and REV transactions",
        ],
    ]
    # After the pasted ACK every transaction is numbered one short: one message each.
    assert ack["acknowledgements"][5]["messages"][0]["text"] == "4 where 5 is due"


def test_the_ack_layout_reads_a_society_acknowledgement() -> None:
    # An ACK file as a society returns it (django-music-publisher's test data).
    lines = (FIXTURES / "CW220001052_DMP.V21").read_text().splitlines()
    acks = [
        cut(LAYOUTS["ACK"], x, line=n, version="2.1") for n, x in enumerate(lines) if x[:3] == "ACK"
    ]
    assert [problems for _, problems in acks] == [[]] * 5
    first = acks[0][0]
    assert (first.get("Original Transaction Type"), first.get("Creation Title")) == ("NWR", "ONE")
    assert (first.get("Submitter Creation #"), first.get("Recipient Creation #")) == ("Z128", "123")
    assert [r.get("Transaction Status") for r, _ in acks] == ["AS", "RA", "RA", "NP", "NP"]


def test_a_hundred_work_file_applies_all_but_the_transactions_that_break_a_rule(
    client: TestClient, api: Api
) -> None:
    # music-metadata-edi's test file: 100 NWR transactions, the first four broken on purpose
    # (its own tests expect exactly these four errors). Its GRT counts one record more than
    # the group holds (1613 for GRH..GRT on lines 2-1613), so as published the whole file
    # is refused; with that one count corrected, each transaction stands on its own.
    original = (FIXTURES / "CW190001MPC_000.V21").read_text()
    problem = post_cwr(client, api, original, expect=422)
    assert "line 1613: GRT" in problem["detail"]
    text = original.replace("GRT000010000010000001613", "GRT000010000010000001612")
    ack = post_cwr(client, api, text)
    assert (ack["transactions"], ack["accepted"], ack["rejected"]) == (100, 68, 32)
    first_four = [
        [(m["line"], m["record_type"], m["field"], m["text"]) for m in t["messages"]]
        for t in ack["acknowledgements"][:4]
    ]
    assert first_four == [
        [
            (3, "NWR", "Transaction Sequence #", "required, blank"),
            (5, "SPT", "Record Sequence #", "22 where 2 is due"),
        ],
        [
            (19, "   ", None, "unknown record type '   '"),
            (20, "SPT", "Record Sequence #", "'000000X2' is not numeric"),
        ],
        [(46, "NWR", "Transaction Sequence #", "33 where 2 is due")],
        [(60, "SPU", "Transaction Sequence #", "'000000X3' is not numeric")],
    ]
    reasons = [m["text"] for t in ack["acknowledgements"][4:] for m in t["messages"]]
    assert reasons.count("blank: the ledger keys works by ISWC") == 23
    assert sum("ownership shares total 100.02% > 100%" in r for r in reasons) == 6
    accepted = [t for t in ack["acknowledgements"] if t["status"] == "AS"]
    assert all(work(api, t["iswc"])["title"] == t["title"] for t in accepted[:5])
    assert post_cwr(client, api, text)["changed"] == 0
