"""Tables of the takedowns domain."""
