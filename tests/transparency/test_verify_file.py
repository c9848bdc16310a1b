"""`verify-statement --file`: the CSV or DSR a society kept, checked against the SHA-256 the
operator signed under the statement's tree head; the report names every check it ran."""

import base64
import json
from decimal import Decimal
from pathlib import Path

import pytest

from service.client import cli
from service.proofs import files
from service.proofs.verifier import Mismatch
from tests.factories import bearer
from tests.transparency.conftest import Month

NOT_VERIFIED = 5


def _download(month: Month, tmp_path: Path, kind: str) -> Path:
    params, headers = ({"format": "dsr"}, {}) if kind == "dsr" else ({}, {"Accept": "text/csv"})
    response = month.client.get(
        f"/v1/statements/{month.statement['id']}",
        params=params,
        headers={**headers, **bearer(month.society_token)},
    )
    assert response.status_code == 200, response.text
    path = tmp_path / f"statement.{kind}"
    path.write_bytes(response.content)
    return path


def _run(month: Month, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    argv = ["verify-statement", month.statement["id"], "--public-key", month.public_key, *extra]
    code = cli.main(argv, client=month.society())
    out, err = capsys.readouterr()
    return code, (out + err).strip()


@pytest.mark.parametrize("kind", ["csv", "dsr"])
def test_a_kept_file_verifies_and_the_report_names_each_check(
    month: Month, capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    path = _download(month, tmp_path, kind)
    trusted = tmp_path / "trusted.json"
    code, said = _run(month, capsys, "--file", str(path), "--trusted-sth", str(trusted))
    assert code == 0, said
    assert f"file: {path} ({kind.upper()}) has the SHA-256" in said
    key_id = files.sha256_hex(base64.b64decode(month.public_key))
    assert f"signed by key {key_id} (Ed25519)" in said
    assert f"trusted head: {trusted} created on first use" in said
    assert "inclusion: every transaction" in said  # a small month: all, by default
    assert "conversions: royalties in USD all converted" in said
    assert ("the file's" if kind == "csv" else "the statement's") in said
    code, said = _run(month, capsys, "--file", str(path), "--trusted-sth", str(trusted))
    assert code == 0 and "trusted head: consistent with the one of size" in said


@pytest.mark.parametrize("kind", ["csv", "dsr"])
def test_one_royalty_edited_in_a_kept_file_is_caught(
    month: Month, capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    path = _download(month, tmp_path, kind)
    text = path.read_text()
    if kind == "csv":  # one line's royalty, one micro-unit more
        was = month.client.get(
            f"/v1/statements/{month.statement['id']}", headers=bearer(month.society_token)
        ).json()["lines"][0]["royalty"]
        now = was[:-1] + str((int(was[-1]) + 1) % 10)
    else:  # one sale's price in the last usage record
        was, now = "\t0.99\t", "\t0.98\t"
    assert was in text
    head, _, tail = text.rpartition(was)
    path.write_text(head + now + tail)
    code, said = _run(month, capsys, "--file", str(path))
    assert code == NOT_VERIFIED, said
    assert f"the {kind.upper()} file's SHA-256 is" in said and "was altered" in said


def test_a_csv_whose_lines_disagree_with_the_ledger_is_named_even_with_a_matching_digest(
    month: Month, tmp_path: Path
) -> None:
    """The CSV's lines are re-derived from the evidence on their own (not only hashed)."""
    from service.client.verify import FileSource
    from service.proofs.verifier import verify_statement

    data = _download(month, tmp_path, "csv").read_bytes()
    lines = files.csv_lines(data)
    lines[0]["royalty"] = str(Decimal(lines[0]["royalty"]) + Decimal("0.000001"))
    source = FileSource(month.society(), lines)
    key = base64.b64decode(month.public_key)
    with pytest.raises(Mismatch, match="line 1: royalty"):
        verify_statement(source, month.statement["id"], key, sample=0)


def test_signed_digests_bind_the_files_to_the_pinned_head(month: Month) -> None:
    signed = month.client.get(
        f"/v1/statements/{month.statement['id']}/digests", headers=bearer(month.society_token)
    ).json()
    sth = month.client.get(
        f"/v1/statements/{month.statement['id']}", headers=bearer(month.society_token)
    ).json()["sth"]
    key = base64.b64decode(month.public_key)
    files.check_digests(signed, key, sth, month.statement["id"])
    forged = {**signed, "files": {**signed["files"], "csv": "0" * 64}}
    with pytest.raises(Mismatch, match="bad signature"):
        files.check_digests(forged, key, sth, month.statement["id"])
    with pytest.raises(Mismatch, match="pinned under the tree of size"):
        files.check_digests(signed, key, {**sth, "tree_size": 1}, month.statement["id"])


def test_another_party_cannot_read_the_digests(month: Month) -> None:
    answer = month.client.get(
        f"/v1/statements/{month.statement['id']}/digests", headers=bearer(month.world.store_token)
    )
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_truncated_trusted_head_is_one_line(
    month: Month, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trusted = tmp_path / "trusted.json"
    trusted.write_text(json.dumps({"tree_size": 3})[:7])
    code, said = _run(month, capsys, "--trusted-sth", str(trusted))
    assert code == 2
    assert said.count("\n") == 0 and "not a signed tree head" in said, said


def test_a_large_sample_states_its_detection_probability() -> None:
    assert files.detection_probability(200, 1380) == pytest.approx(0.1449, abs=1e-4)
    assert files.detection_probability(5, 5) == 1.0
