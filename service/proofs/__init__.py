"""The proof arithmetic, pure: RFC 9162 Merkle trees and proofs (`merkle`) and the
verifier a society runs against a signed tree head (`verifier`). No database, no web
framework, no other domain (import-linter keeps it so), so it can be vendored alone."""
