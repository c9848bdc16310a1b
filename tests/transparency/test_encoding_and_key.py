"""The vendorable verifier encodes legs exactly as the ledger does; the operator's key is
read from the settings or created once, private to its owner."""

import base64
import os
import stat
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from service.ledger.encoding import LEG_HASHED
from service.ledger.encoding import leg_line as ledger_leg_line
from service.proofs.verifier import LEG_FIELDS, leg_line, sth_message
from service.transparency.signing import BadSigningKey, operator_key

_text = st.one_of(st.none(), st.text(max_size=12))
_money = st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False)


@given(
    account=st.text(min_size=1, max_size=20),
    amount=_money,
    gross=st.one_of(st.none(), _money),
    share=st.one_of(st.none(), st.decimals(min_value=0, max_value=1, places=10, allow_nan=False)),
    units=st.one_of(st.none(), st.integers(-1000, 1000)),
    sale_pk=st.one_of(st.none(), st.integers(1, 2**40)),
    texts=st.tuples(*[_text] * 7),
    non_member=st.booleans(),
)
def test_the_verifier_writes_the_ledgers_leg_line(
    account: str,
    amount: Decimal,
    gross: Decimal | None,
    share: Decimal | None,
    units: int | None,
    sale_pk: int | None,
    texts: tuple[str | None, ...],
    non_member: bool,
) -> None:
    right_type, isrc, iswc, territory, holder_id, society_code, suspense = texts
    leg = {
        "account": account,
        "currency": "USD",
        "amount": amount,
        "sale_pk": sale_pk,
        "right_type": right_type,
        "isrc": isrc,
        "iswc": iswc,
        "territory": territory,
        "holder_id": holder_id,
        "society_code": society_code,
        "non_member": non_member,
        "suspense_reason": suspense,
        "share": share,
        "units": units,
        "gross": gross,
    }
    assert tuple(name for name, _ in LEG_FIELDS) == LEG_HASHED
    expected = ledger_leg_line(*(leg[name] for name in LEG_HASHED))
    # Evidence carries money and shares as strings: the same line either way.
    as_json = {k: str(v) if isinstance(v, Decimal) else v for k, v in leg.items()}
    assert leg_line(leg) == expected == leg_line(as_json)


def test_the_sth_message_is_the_documented_ascii() -> None:
    assert sth_message(7, "2006-12-01T09:00:00Z", "ab" * 32) == (
        b"royalty-ledger/sth/v1\n7\n2006-12-01T09:00:00Z\n" + b"ab" * 32 + b"\n"
    )


def test_an_unset_key_is_generated_once_private_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    first = operator_key(None, str(path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    operator_key.cache_clear()
    again = operator_key(None, str(path))
    assert again.public == first.public and len(first.public) == 32
    assert first.key_id == again.key_id


def test_a_key_from_base64_pem_or_a_file(tmp_path: Path) -> None:
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    pem = tmp_path / "key.pem"
    pem.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    encoded = base64.b64encode(seed).decode()
    assert operator_key(encoded, "unused").public == public
    assert operator_key(str(pem), "unused").public == public
    with pytest.raises(BadSigningKey):
        operator_key("not a key", "unused")
    with pytest.raises(BadSigningKey):
        operator_key(base64.b64encode(b"short").decode(), "unused")
