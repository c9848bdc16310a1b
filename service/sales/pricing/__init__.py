"""Pricing, in one home: the per-process snapshot of what prices a sale (`generation`,
`price`), the plans a batch is priced into (`plans`), a sale's stored basis (`basis`) and
the pure engine beneath them (`engine/`: unit royalty, routing, allocation, quanta)."""
