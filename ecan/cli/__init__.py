"""The command line: a second client of the handler layer (contract commands in ARCHITECTURE.md)."""
