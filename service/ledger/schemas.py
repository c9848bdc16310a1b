"""Response bodies of the ledger."""

from decimal import Decimal

from pydantic import BaseModel, Field


# The tip of the hash chain.
class HeadPublic(BaseModel):
    sequence: int = Field(examples=[0])
    hash: str = Field(examples=["0" * 64])


# The outcome of recomputing the chain from genesis.
class VerificationPublic(BaseModel):
    ok: bool
    transactions: int
    head: HeadPublic
    first_bad_sequence: int | None


# One currency's exact balance of a party (positive: owed to the party).
class BalancePublic(BaseModel):
    currency: str
    amount: Decimal


# A party's balances across currencies.
class BalancesPublic(BaseModel):
    party: str
    balances: list[BalancePublic]
