"""`CONVOFLOW_DATABASE_URL` as operators write it, turned into the URL SQLAlchemy's async engine takes.

Operators write what PostgreSQL's own tools take (`postgresql://user:password@host:port/db`, or the
unix-socket form `postgresql://user@/db?host=/run/postgresql`); which Python driver we use is our
business, so the scheme is rewritten here rather than asked of them.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url

DRIVERS = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}


class DatabaseUrlError(ValueError):
    """The URL names no database we can use; the message says what is accepted."""


def embedded_url(data_dir: Path) -> str:
    """The embedded default: one SQLite file in the data directory."""
    return f"sqlite:///{(data_dir / 'convoflow.sqlite').resolve()}"


def async_url(raw: str) -> URL:
    """The SQLAlchemy async URL for an operator's URL (driver picked here)."""
    try:
        url = make_url(raw)
    except Exception:
        raise DatabaseUrlError(
            "CONVOFLOW_DATABASE_URL is not a URL: expected postgresql://user:password@host:port/db "
            "or sqlite:///path/to/file.sqlite"
        ) from None
    backend = url.drivername.split("+", 1)[0]
    if backend not in DRIVERS:
        raise DatabaseUrlError(
            f"CONVOFLOW_DATABASE_URL: unsupported database {backend!r} (postgresql or sqlite)"
        )
    if _unencoded_at(raw):
        raise DatabaseUrlError(
            "CONVOFLOW_DATABASE_URL: the user or password holds an '@': percent-encode it (%40)"
        )
    if "sslmode" in url.query:  # what managed PostgreSQL hands out; asyncpg names it `ssl` (same values)
        url = url.difference_update_query(["sslmode"]).update_query_dict({"ssl": url.query["sslmode"]})
    return url.set(drivername=DRIVERS[backend])


def _unencoded_at(raw: str) -> bool:
    """Whether a PostgreSQL URL's part before the host holds an '@' of its own: URL parsers split at
    the first one, so the rest of the password became the host (and was shown in log lines as if it
    were). A SQLite URL is a path, which may hold '@'."""
    if not raw.startswith(("postgresql", "postgres:")):
        return False
    userinfo, at, _ = raw.partition("?")[0].rpartition("@")
    return bool(at) and "@" in userinfo


def redacted(raw: str) -> str:
    """The URL with its password hidden, for log lines and error messages."""
    if _unencoded_at(raw):
        head, _, query = raw.partition("?")
        userinfo, _, place = head.rpartition("@")
        scheme, _, user = userinfo.partition("://")
        return f"{scheme}://{user.split(':', 1)[0].split('@', 1)[0]}:***@{place}" + (
            f"?{query}" if query else ""
        )
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable database URL>"
