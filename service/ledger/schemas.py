"""Response bodies of the ledger."""

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


# The tip of the hash chain.
class HeadPublic(BaseModel):
    sequence: int = Field(examples=[0])
    hash: str = Field(examples=["0" * 64])


# The outcome of recomputing the chain from genesis.
class VerificationPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ok": True,
                    "transactions": 1042,
                    "head": {"sequence": 1042, "hash": "9f2c...e1"},
                    "first_bad_sequence": None,
                }
            ]
        }
    )
    ok: bool
    transactions: int
    head: HeadPublic
    first_bad_sequence: int | None


# One currency's exact balance of a party (positive: owed to the party).
class BalancePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"currency": "RUB", "amount": "2670.000000"}]}
    )
    currency: str
    amount: Decimal


# A party's balances across currencies.
class BalancesPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "party": "society:ROMS",
                    "balances": [
                        {"currency": "RUB", "amount": "2670.000000"},
                        {"currency": "USD", "amount": "0.015000"},
                    ],
                }
            ]
        }
    )
    party: str
    balances: list[BalancePublic]
