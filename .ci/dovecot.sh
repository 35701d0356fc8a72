#!/usr/bin/env bash
# The mailbox tests read a real IMAP server: Debian's `dovecot-imapd` package, started unprivileged by
# a pytest fixture (tests/mail_server.py). Install it when it is missing and we can (root with apt);
# else say how. The package's own system service is not started (policy-rc.d in containers, and the
# tests never use it).
set -euo pipefail
if [ -x /usr/sbin/dovecot ]; then
    exit 0
fi
if [ "${EUID:-1}" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian's dovecot-imapd for the mailbox tests (apt-get install -y dovecot-imapd)"
    if apt-get install -y -q dovecot-imapd >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q dovecot-imapd >/dev/null; }; then
        exit 0
    fi
fi
{
    echo "make test: the mailbox tests need Dovecot's IMAP server, and it is not installed."
    echo "Install Debian's package as root, then run \`make test\` again:"
    echo "    apt-get update && apt-get install -y dovecot-imapd"
} >&2
exit 1
