"""Errors of the transparency log."""

from service.errors import DomainError


class TreeSizeUnknown(DomainError):
    """A proof or STH was asked for a tree the log has not reached or never signed."""

    status = 404
    code = "tree_size_unknown"
    title = "No such tree size"


class BadProofRequest(DomainError):
    """Indices that no proof exists for (a leaf outside the tree, first > second...)."""

    status = 400
    code = "bad_proof_request"
    title = "No proof exists for these sizes"


class WitnessRefused(DomainError):
    """A witness that cannot be used: not a cosignature/v1 verifier key, not an http(s) URL."""

    status = 422
    code = "bad_witness"
    title = "Not a usable witness"
