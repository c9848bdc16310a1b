"""The kinds of ledger transaction: the one list every domain books and reads by.

The values are stored in ``ledger_transaction.kind``, hashed into the chain and printed in
a statement's evidence, so they never change; the verifier a society runs
(``service.proofs.verifier``) spells the two that are not royalties in its own published
format, and ``tests/ledger/test_kinds.py`` holds the two spellings equal.
"""

from enum import StrEnum


class TransactionKind(StrEnum):
    sale = "sale"  # a store's sale, booked in the month it was sold
    refund = "refund"  # units of a sale given back
    release = "release"  # suspense released to the party it was held for
    payment = "payment"  # money paid out to a party
    fx_conversion = "fx_conversion"  # a month's royalties converted to a payout currency


# Kinds that are not royalties: they never become statement lines or DSR usage.
NOT_ROYALTY = (TransactionKind.payment, TransactionKind.fx_conversion)
