"""What `GET /v1/statements/{id}/digests` answers."""

from pydantic import BaseModel, Field


class DigestsPublic(BaseModel):
    """The SHA-256 of each file of a statement (its strong ETag), signed with the tree head
    the statement pins: Ed25519 over ``royalty-ledger/statement-files/v1\\n{statement_id}\\n
    {tree_size}\\n{root_hash}\\ncsv {sha256}\\ndsr {sha256}\\n`` (docs/transparency.md §6)."""

    statement_id: str
    tree_size: int
    root_hash: str = Field(examples=["5b1c" + "0" * 60])
    files: dict[str, str] = Field(examples=[{"csv": "ab" * 32, "dsr": "cd" * 32}])
    key_id: str
    signature: str
