"""Refunds: a batch of refunds (`batch`, what `POST /v1/refunds` runs), the single refund
endpoint as a batch of one row (`single`), and their result shapes (`schemas`)."""
