"""A C2SP tlog-witness a collecting society runs (``royalty-ledger witness serve``).

No database and no part of the ledger service: its own key, its own state file and the
pure ``service.proofs`` (signed notes, Merkle consistency proofs)."""
