"""Every setting of the service, read from the environment in one place.

Each field documents its environment variable and default; README's settings table is written from
these. Secrets (API keys, TLS keys, Temporal API key) are only ever read here, never logged: `repr`
of the settings hides them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_settings import SettingsConfigDict

from engine.contracts.single_line import SINGLE_LINE
from engine.db.url import embedded_url
from engine.mail.addresses import ONE_MAILBOX, NotOneMailbox, with_name_read
from engine.service.config_background import BackgroundWorkSettings

DEV_TENANT = "dev"
"""The tenant of `convoflow up`'s development key, and the CLI's default tenant."""


class Settings(BackgroundWorkSettings):
    """Service settings. Variables are prefixed CONVOFLOW_, except Temporal's standard TEMPORAL_* ones."""

    model_config = SettingsConfigDict(
        env_prefix="CONVOFLOW_", extra="ignore", frozen=True, populate_by_name=True
    )

    data_dir: Path = Field(
        default=Path("data"),
        description="Where the embedded Temporal database, the outbox and the dev API key live.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="Control-plane database: `postgresql://user:password@host:port/db` (or "
        "`?host=/socket/dir`), or `sqlite:///file`; unset: `convoflow.sqlite` in the data directory.",
    )
    api_host: str = Field(default="127.0.0.1", description="Interface the HTTP API binds to.")
    api_port: int = Field(default=8080, ge=1, le=65535, description="Port of the HTTP API.")
    api_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated `tenant:key` pairs accepted as Bearer tokens.",
    )
    api_keys_file: Path | None = Field(
        default=None,
        description="File of `tenant sha256-hex-of-key` lines (keys stored only as hashes).",
    )
    max_body_bytes: int = Field(default=256 * 1024, description="Largest conversation request body.")
    max_rules_body_bytes: int = Field(
        default=8 * 1024 * 1024, description="Largest /v1/rules request body (a pack plus conversations)."
    )
    rules_time_limit_seconds: float = Field(
        default=2.0,
        gt=0,
        description="CPU seconds one /v1/rules request may spend parsing, checking and running its pack "
        "before it answers 422 pack_too_complex (and 5 times that in wall time, whatever the load). The "
        "loader's caps stop known attacks in milliseconds; this bounds the rest, with room for the largest "
        "valid pack.",
    )
    mail_sender_limit_per_hour: int = Field(
        default=20,
        ge=0,
        description="Mails one sender may bring into a tenant in an hour; the next are quarantined as a "
        "loop (a vendor's ticket system answering each acknowledgement with a new ticket). 0: no limit.",
    )
    max_email_bytes: int = Field(
        default=256 * 1024,
        description="Largest raw email POST /v1/inbound/email takes (headers, text and attachments).",
    )
    rate_limit_window_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="Rate-limit burst: a client may spend a window's quota at once; it refills evenly "
        "over the window (per API process; see README, Rate limits).",
    )
    rate_limit_tenant_per_minute: int = Field(
        default=6000, ge=0, description="API requests per minute of one tenant's keys together (0: off)."
    )
    rate_limit_key_per_minute: int = Field(
        default=3000, ge=0, description="API requests per minute of one API key (0: off)."
    )
    rate_limit_rules_per_minute: int = Field(
        default=600, ge=0, description="Rule-pack POSTs (/v1/rules/...) per minute of one tenant (0: off)."
    )
    rate_limit_webhook_per_minute: int = Field(
        default=6000, ge=0, description="Signed inbound webhooks per minute of one tenant (0: off)."
    )
    update_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long an API call waits for a worker to process an event before 503.",
    )
    console_session_hours: float = Field(
        default=8.0,
        gt=0,
        le=24 * 30,
        description="How long an ops console sign-in lasts (revoking its API key ends it sooner).",
    )
    console_secure_cookie: bool = Field(
        default=False,
        description="Mark the console's session cookie Secure (only sent over HTTPS): set it when a "
        "TLS proxy fronts the API. Requests that arrive as https get it anyway.",
    )
    presence_timeout_seconds: float = Field(
        default=120.0,
        ge=0,
        le=86_400,
        description="An online agent whose client sends no heartbeat for this long drops to away; "
        "0: presence changes only when set (clients that send no heartbeats).",
    )
    rule_pack: Path = Field(
        default=Path("rule_packs/default"),
        description="Pack published at start when none is active yet (new conversations pin the active one).",
    )
    max_events_per_run: int = Field(
        default=300, ge=2, description="Events a conversation run handles before it continues as new."
    )
    task_queue: str = Field(default="convoflow", description="Temporal task queue of the workers.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level (log lines never carry message text or addresses)."
    )
    max_concurrent_activities: int = Field(
        default=16, ge=1, le=1000, description="Activities one worker runs at once (also its thread pool)."
    )
    max_cached_workflows: int = Field(
        default=1000,
        ge=0,
        le=100_000,
        description=(
            "Conversations a worker keeps in memory between events (Temporal's sticky cache; about "
            "130-140 KB each, README). An evicted one is replayed from history at its next event; 0 "
            "replays every event."
        ),
    )
    max_concurrent_workflow_tasks: int = Field(
        default=100,
        ge=2,
        le=1000,
        description="Workflow tasks (conversation events) one worker processes at once.",
    )

    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token a Prometheus scraper sends to GET /metrics (API and worker metrics "
        "port); unset: /metrics answers only to loopback clients (127.0.0.1, ::1).",
    )
    worker_metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port a worker process serves its own /metrics on (on worker_metrics_host); unset: "
        "off. `convoflow up` needs none: its API's /metrics has the worker's numbers too.",
    )
    worker_metrics_host: str = Field(
        default="127.0.0.1", description="Interface the worker's /metrics binds to."
    )
    temporal_metrics_address: str | None = Field(
        default=None,
        description="host:port the Temporal SDK serves its own Prometheus metrics on (worker slots, "
        "polls, task latencies, workflow and activity outcomes); unset: off.",
    )

    temporal_address: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TEMPORAL_ADDRESS", "CONVOFLOW_TEMPORAL_ADDRESS"),
        description="host:port of an existing Temporal frontend; unset starts the embedded dev server.",
    )
    temporal_namespace: str = Field(
        default="default",
        validation_alias=AliasChoices("TEMPORAL_NAMESPACE", "CONVOFLOW_TEMPORAL_NAMESPACE"),
        description="Temporal namespace.",
    )
    temporal_tls_cert: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("TEMPORAL_TLS_CERT", "CONVOFLOW_TEMPORAL_TLS_CERT"),
        description="Client certificate (PEM) for mTLS to the Temporal cluster.",
    )
    temporal_tls_key: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("TEMPORAL_TLS_KEY", "CONVOFLOW_TEMPORAL_TLS_KEY"),
        description="Client private key (PEM) for mTLS.",
    )
    temporal_tls_ca: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("TEMPORAL_TLS_CA", "CONVOFLOW_TEMPORAL_TLS_CA"),
        description="CA certificate (PEM) that signed the server's certificate.",
    )
    temporal_tls_server_name: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TEMPORAL_TLS_SERVER_NAME", "CONVOFLOW_TEMPORAL_TLS_SERVER_NAME"),
        description="Server name to verify in the server's certificate.",
    )
    temporal_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("TEMPORAL_API_KEY", "CONVOFLOW_TEMPORAL_API_KEY"),
        description="API key for Temporal Cloud (implies TLS).",
    )

    gateway_url: str | None = Field(
        default=None, description="Webhook gateway for chat, WhatsApp, SMS and social; unset: outbox."
    )
    gateway_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key of webhooks for tenants without secrets of their own (whsec_... or text).",
    )
    notify_url: str | None = Field(
        default=None, description="Signed POST target for team/agent notifications; unset: outbox."
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for email; unset: outbox.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port.")
    smtp_username: str | None = Field(default=None, description="SMTP user.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool = Field(default=True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_tls: bool = Field(default=False, description="Implicit TLS (port 465) instead of STARTTLS.")
    email_from: str = Field(
        default="support@convoflow.local",
        description="From address of outbound email (a tenant with a mailbox in CONVOFLOW_MAILBOXES: "
        "its address); its domain is our Message-IDs'.",
    )
    email_from_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=SINGLE_LINE,
        description="The name outbound email comes from (`Acme Support <support@...>`); a mailbox's "
        "`display_name` overrides it for its tenant. Unset: the bare address.",
    )
    mailboxes: str | None = Field(
        default=None,
        description="Support mailboxes the worker reads over IMAP: a JSON list of mailboxes, or the path "
        "of a file holding one (engine/service/mailbox_config.py; passwords never here: each names the "
        "environment variable or file its password is read from).",
    )
    quarantine_days: float = Field(
        default=30.0, gt=0, le=3650, description="How long quarantined mail is kept before it is deleted."
    )
    crm: str = Field(
        default="local", pattern="^(local|rest|none)$", description="local (SQLite), rest or none."
    )
    crm_url: str | None = Field(default=None, description="Base URL of the REST CRM.")
    crm_token: SecretStr | None = Field(default=None, description="Value of the REST CRM's auth header.")
    crm_auth_header: str = Field(default="Authorization", description="Header that carries crm_token.")

    payload_keys: SecretStr | None = Field(
        default=None,
        description="Keyring encrypting conversation content in Temporal history: comma-separated "
        "`keyid:base64` master keys (32 bytes; the last one encrypts, all decrypt) and optional "
        "`tenant/keyid:base64` tenant keys. Unset: a development keyring in the data directory "
        "(embedded server only; a cluster refuses to start without one).",
    )
    payload_keys_file: Path | None = Field(
        default=None, description="File with more keyring entries, one per line (`#` comments)."
    )
    payload_key_sealing: str | None = Field(
        default=None,
        description="The id of the master key new payloads are sealed with (unset: the last listed), "
        "and `tenant/keyid` for a tenant with keys of its own (unset: its last; a master's id: the key "
        "derived from it), comma-separated. A rotation across running parts: list the new key "
        "everywhere with this set to the old one, then, once every part can open it, set it to the new "
        "one (or unset it).",
    )
    payload_encryption: bool = Field(
        default=True, description="false: store payloads in the clear (a warning at every start)."
    )
    payload_compression: bool = Field(
        default=True,
        description="Deflate the rule pack each conversation records before sealing it (~10% less "
        "worker memory per open conversation). false while a cluster's workers are upgraded from a "
        "version before it: older workers cannot open such payloads. Payloads are read either way.",
    )
    audit_key: SecretStr | None = Field(
        default=None,
        description="Key of the hash chain sealing audit bundles (`convoflow audit export`, "
        "`audit verify`): any long random text. Unset: a development key in the data directory "
        "(embedded server only; against a cluster, exports refuse to run without one).",
    )
    codec_server_host: str = Field(
        default="127.0.0.1", description="Interface `convoflow codec-server` binds to."
    )
    codec_server_port: int = Field(
        default=8234, ge=1, le=65535, description="Port of `convoflow codec-server`."
    )
    codec_server_cors_origins: str | None = Field(
        default=None,
        description="Comma-separated Temporal Web UI origins allowed to call the codec server; unset: the "
        "embedded Web UI's (localhost and 127.0.0.1 on CONVOFLOW_EMBEDDED_UI_PORT).",
    )
    codec_endpoint: str | None = Field(
        default=None,
        description="Codec server URL the embedded Web UI decodes payloads with (e.g. http://127.0.0.1:8234).",
    )

    embedded_grpc_port: int = Field(
        default=7233, ge=1, le=65535, description="gRPC port of the embedded server."
    )
    embedded_ui_port: int = Field(
        default=8233, ge=1, le=65535, description="Web UI port of the embedded server."
    )
    embedded_fast_timers: bool = Field(
        default=True,
        description=(
            "Fire the embedded server's short timers at most 5 ms late instead of up to ~1 s, and let "
            "its timer queue read as often as timers fall due, so SLA instants are recorded on time and "
            "a message's handling starts just after its answer (idle server CPU measured the same "
            "either way, 0.2-0.3% of a core)."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _named_sender(cls, given: Any) -> Any:
        """`CONVOFLOW_EMAIL_FROM="Acme Support <s@acme.example>"` read as the address and its name
        (kept whole, our own mail coming back was never recognised as a loop)."""
        try:
            return with_name_read(given, "email_from", "email_from_name")
        except NotOneMailbox:  # named as a field's own error is: CONVOFLOW_EMAIL_FROM, never its value
            problem = PydanticCustomError("email_address", f"must be {ONE_MAILBOX}")
            detail = InitErrorDetails(type=problem, loc=("email_from",), input=given["email_from"])
            raise ValidationError.from_exception_data(cls.__name__, [detail]) from None

    @property
    def embedded(self) -> bool:
        """True when convoflow runs its own Temporal dev server."""
        return self.temporal_address is None

    def codec_origins(self) -> frozenset[str]:
        """The Web UI origins the codec server answers; by default the embedded UI's, on its port (it
        stayed on 8233 when the UI moved, and the UI could not decode anything)."""
        given = self.codec_server_cors_origins
        if given is None:
            port = self.embedded_ui_port
            return frozenset({f"http://localhost:{port}", f"http://127.0.0.1:{port}"})
        return frozenset(o.strip() for o in given.split(",") if o.strip())

    def allows_private_subscriptions(self, tenant: str) -> bool:
        """Whether the tenant's subscriptions may reach private addresses (engine/public_addresses.py)."""
        listed = {t.strip() for t in self.subscription_private_tenants.split(",") if t.strip()}
        on_a_laptop = self.embedded and self.database_url is None and tenant == DEV_TENANT
        return tenant in listed or on_a_laptop

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox.jsonl"

    @property
    def database(self) -> str:
        """The database URL to use (it may hold a password: never log it, see engine.db.url.redacted)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return embedded_url(self.data_dir)

    def secret(self, name: str) -> str | None:
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else None
