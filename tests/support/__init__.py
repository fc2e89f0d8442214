"""Shared test support: counting SQL statements, reading query plans."""
