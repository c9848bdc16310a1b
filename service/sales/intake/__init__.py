"""Intake: reading a body (JSON, NDJSON, CSV) into rows, and sorting a batch's rows before
anything is priced (invalid, repeated in the batch, already recorded)."""
