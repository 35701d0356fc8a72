"""`python -m bench mail-latency`: fetch -> conversation over IMAP (see bench/mail_bench.py `latency`)."""

from __future__ import annotations

from bench.mail_bench import latency as main

__all__ = ["main"]
