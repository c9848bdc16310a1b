"""Runtime settings, read once from the environment (prefix ``LEDGER_``)."""

from functools import lru_cache
from pathlib import Path

import limits
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.identifiers import normalize_dpid


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", env_file=".env", extra="ignore")

    # The embedded default keeps `make run` working on a laptop with nothing installed.
    database_url: str = "sqlite:///./royalty-ledger.db"
    # Streaming replicas serving the read-mostly GETs (statements, remittance, takedowns),
    # comma-separated; unset: everything reads the primary (docs/architecture.md).
    read_database_url: str | None = None
    # uvicorn's own access line per request besides the JSON request log (which has the
    # request id and caller): off, so each request is logged once.
    access_log: bool = False
    # uvicorn worker processes under `make run` and in the Docker image (LEDGER_WORKERS).
    workers: int = Field(default=1, ge=1, le=64)
    admin_token: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # The operator's DDEX party id, written as SenderPartyId in DSR files; checked at start
    # (ISO 7064 MOD 37,36 check character). The default is a placeholder that passes the
    # check: an all-zero body no real DPID has (DDEX assigns them from a date), whose check
    # character is O; an operator sets the DPID DDEX assigned it.
    dsr_sender_id: str = "PADPIDA0000000001O"
    dsr_sender_name: str = "royalty-ledger"
    # Bodies above this are refused before they are parsed (a 10,000-row batch is ~2.5 MB).
    max_body_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    # Each process's pricing cache (catalogue, compiled plans, memos) in MB: a byte budget,
    # entries counted at measured sizes (service/sales/pricing/budget.py, CACHE_MB).
    pricing_cache_mb: float = Field(default=32.0, gt=0)
    # Seconds a request may take to arrive whole (headers and body): service.server.
    request_read_timeout: float = Field(default=15.0, gt=0)
    # Load the demo catalogue into an empty embedded database on start (make run sets it).
    demo: bool = False
    # Deliver takedown webhooks from a thread of the API process; turn off when running
    # `royalty-ledger webhooks-worker` separately (both at once is safe, too).
    webhooks_worker: bool = True
    # Let stores register, and the worker call, webhook URLs on loopback, private or
    # link-local addresses (a store on the operator's own network; tests). Off: refused.
    webhook_allow_private: bool = False
    # Where the demo's credentials (a shell-sourceable file) and the first admin key's
    # token are kept, both mode 0600; relative paths are from the working directory.
    demo_env_file: Path = Path("royalty-ledger.demo.env")
    admin_key_file: Path = Path("royalty-ledger.admin-token")
    # The operator's Ed25519 key signing tree heads: a file path or base64 of the 32-byte
    # seed; unset, the key in signing_key_file (created 0600 by the first start).
    signing_key: str | None = None
    signing_key_file: str = "royalty-ledger-signing.key"
    # The id (hex, at least 16 digits) of a new key the operator means to sign with from
    # now on; without it start-up refuses a key other than the latest tree head's.
    signing_key_rotate_to: str | None = None
    # The signer's own record of the largest tree head it signed (docs/transparency.md,
    # "The signer's record"); unset: beside the key file, `<key file>.signed.json`.
    signer_record_file: str | None = None
    # The log's name in its C2SP checkpoints (a schema-less URL); unset: the host and path
    # of public_url, else `localhost/royalty-ledger`.
    log_origin: str | None = None
    # Witnesses asked to cosign each new checkpoint: comma-separated `VKEY URL` pairs (the
    # witness's verifier key and its submission prefix); see docs/transparency.md.
    witnesses: str | None = None
    # How often the in-process transparency worker signs the grown log and asks the
    # witnesses to cosign (off: `false`; a close also wakes it).
    transparency_worker: bool = True
    transparency_interval_seconds: float = Field(default=10.0, gt=0)
    # Signs portal session cookies; unset, each process draws a random one (sessions then
    # end on restart and are not shared between workers: set it when running several).
    portal_secret: str | None = None
    # Downloads (statement CSV/DSR, evidence) running at once, per party and in total; one
    # more answers 429. Keep the total below the pool's 15 connections (service.downloads).
    downloads_per_party: int = Field(default=3, ge=1)
    downloads_total: int = Field(default=8, ge=1)
    # How long a portal session lasts after sign-in.
    portal_session_hours: int = Field(default=8, gt=0, le=24 * 30)
    # How often each process writes the API keys' last use it noted (service/auth/usage.py);
    # 0: never by itself (the tests flush by hand).
    key_use_flush_seconds: float = Field(default=60.0, ge=0)
    # The address clients use, e.g. https://ledger.example.org (the compose `tls` profile);
    # https: portal cookies are `Secure` and answers carry HSTS (service/tls.py) even when
    # the proxy in front reaches the service over plain HTTP.
    public_url: str | None = None
    # Requests each API key may make, in the `limits` notation ("600/minute", "20/second"),
    # counted per process (service/auth/ratelimit.py); unset: no limit.
    rate_limit: str | None = None

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_notation(cls, value: str | None) -> str | None:
        if value and value.strip():
            limits.parse(value)  # ValueError names the notation it expects
        return value

    @field_validator("dsr_sender_id")
    @classmethod
    def _a_dpid(cls, value: str) -> str:
        return normalize_dpid(value)


def settings_problem(exc: ValidationError) -> str:
    """A refused setting in one line, named as the environment spells it."""
    error = exc.errors()[0]
    name = "LEDGER_" + "_".join(str(part) for part in error["loc"]).upper()
    return f"{name}: {error['msg'].removeprefix('Value error, ')}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
