"""Tables of the statements domain."""
