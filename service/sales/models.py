"""Tables of the sales domain."""
