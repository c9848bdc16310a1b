"""The pure royalty engine: no database, clock or I/O (import-linter keeps it so). Unit
royalty and rounding (`engine`), which society collects a share (`routing`), the
largest-remainder split (`allocation`), micro-unit quanta (`quanta`)."""
