"""Inbound email as mail servers deliver it: read leniently, split into new text and quoted history,
and judged (accept, record without replying, bounce, or quarantine) before any conversation sees it.

Pure code (no network, database or clock): the HTTP route and the IMAP connector both call it.
"""

from engine.mail.parsing import MailProblem, ParsedMail, parse_mail
from engine.mail.verdicts import Verdict, VerdictKind, judge

__all__ = [
    # parsing
    "MailProblem",
    "ParsedMail",
    # verdicts
    "Verdict",
    "VerdictKind",
    "judge",
    "parse_mail",
]
