"""CWR files for tests, and the calls that post them. Files are written field by field with
the widths printed in the CISAC CWR 2.1 and 2.2 specifications (independent of the
service's own layout table and ACK writer)."""

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from service.identifiers import ipi_check
from tests.factories import Api

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cwr"


def ipi(n: int) -> str:
    """A valid IPI name number (check digits per CISAC)."""
    base = f"{n:09d}"
    return f"{base}{ipi_check(base):02d}"


def pct(value: str | int) -> str:
    """A CWR share (3v2): '37.5' -> '03750'."""
    return f"{int(Decimal(str(value)) * 100):05d}"


@dataclass
class Tx:
    kind: str  # NWR or REV
    title: str
    iswc: str  # 11 characters as in the file, e.g. T0345246801, or ""
    work_number: str = "W1"
    details: list[str] = field(default_factory=list)  # record bodies after the prefix, with type

    def spu(self, ip: str, name: str, ipi_: str, pr: str, mr: str, *, seq: int = 1) -> "Tx":
        body = (
            f"{seq:02d}{ip:<9}{name:<45} E {'':9}{ipi_:>11}{'':14}"
            f"052{pct(pr)}044{pct(mr)}044{pct(0)} N"
        )
        self.details.append("SPU" + body)
        return self

    def spt(self, ip: str, pr: str, mr: str, tis: str = "2136", include: str = "I") -> "Tx":
        n = sum(1 for d in self.details if d.startswith("SPT")) + 1
        self.details.append(f"SPT{ip:<9}{'':6}{pct(pr)}{pct(mr)}{pct(0)}{include}{tis:>04}N{n:03d}")
        return self

    def swr(self, ip: str, last: str, first: str, ipi_: str, pr: str, mr: str) -> "Tx":
        body = (
            f"{ip:<9}{last:<45}{first:<30} CA{'':9}{ipi_:>11}010{pct(pr)}   {pct(mr)}   {pct(0)} N"
        )
        self.details.append("SWR" + body)
        return self

    def swt(self, ip: str, pr: str, mr: str, tis: str = "2136", include: str = "I") -> "Tx":
        self.details.append(f"SWT{ip:<9}{pct(pr)}{pct(mr)}{pct(0)}{include}{tis:>04}N001")
        return self

    def alt(self, title: str, kind: str = "AT") -> "Tx":
        self.details.append(f"ALT{title:<60}{kind}")
        return self

    def per(self, name: str) -> "Tx":
        self.details.append(f"PER{name:<45}")
        return self

    def rec(self, isrc: str, title: str = "", artist: str = "") -> "Tx":
        # 2.1: first release date, 60 blanks, duration, 5 blanks, album title, label, catalog
        # number, EAN, ISRC, format, technique, media type; 2.2 adds the recording title,
        # version title, display artist...
        body = f"{'00000000'}{'':60}000000{'':5}{'':60}{'':60}{'':18}{'':13}{isrc:<12}  {'':3}"
        if title or artist:
            body += f"{title:<60}{'':60}{artist:<60}"
        self.details.append("REC" + body)
        return self

    def raw(self, record: str) -> "Tx":
        self.details.append(record)
        return self


def cwr_file(
    *transactions: Tx, version: str = "2.1", created: str = "20061101", sender: str = "PUB"
) -> str:
    """HDR, one group of the first transaction's kind per kind, GRT, TRL with true counts."""
    hdr = f"HDRPB{'000000199'}{sender:<45}01.10{created}120000{created}{'':15}"
    if version == "2.2":
        hdr += "2.2001"
    lines = [hdr]
    kinds = sorted({t.kind for t in transactions}, key=lambda k: (k != "NWR", k))
    total = 0
    for group, kind in enumerate(kinds, start=1):
        group_lines = [f"GRH{kind}{group:05d}{'02.10' if version == '2.1' else '02.20'}0000000000"]
        members = [t for t in transactions if t.kind == kind]
        for n, tx in enumerate(members):
            header = (
                f"{tx.kind}{n:08d}{0:08d}{tx.title:<60}  {tx.work_number:<14}{tx.iswc:<11}"
                f"00000000{'':12}POP000000Y"
            )
            group_lines.append(header)
            for r, detail in enumerate(tx.details, start=1):
                group_lines.append(f"{detail[:3]}{n:08d}{r:08d}{detail[3:]}")
        group_lines.append(f"GRT{group:05d}{len(members):08d}{len(group_lines) + 1:08d}")
        total += len(members)
        lines.extend(group_lines)
    lines.append(f"TRL{len(kinds):05d}{total:08d}{len(lines) + 1:08d}")
    return "\r\n".join(lines) + "\r\n"


def compact(iswc: str) -> str:
    return iswc.replace("-", "").replace(".", "")


def post_cwr(
    client: TestClient, api: Api, text: str | bytes, *, expect: int = 200, **params: Any
) -> Any:
    body = text.encode() if isinstance(text, str) else text
    response = client.post(
        "/v1/catalog/cwr",
        content=body,
        params=params,
        headers={**api.admin, "Content-Type": "text/plain"},
    )
    assert response.status_code == expect, response.text
    return response.json()


def work(api: Api, iswc: str) -> Any:
    response = api.get(f"/v1/works/{iswc}")
    assert response.status_code == 200, response.text
    return response.json()


def holder_by_ipi(api: Api, number: str) -> dict[str, Any]:
    holders = api.get("/v1/rights-holders", limit=100).json()["data"]
    [holder] = [h for h in holders if h["ipi"] == number]
    return dict(holder)


def shares_of(api: Api, body: dict[str, Any]) -> set[tuple[str | None, str, str, str]]:
    ipis = {h["id"]: h["ipi"] for h in api.get("/v1/rights-holders", limit=100).json()["data"]}
    return {
        (ipis[s["holder_id"]], s["right_type"], s["territory"], s["share"]) for s in body["shares"]
    }
