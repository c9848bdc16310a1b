"""Runtime settings, read once from the environment (prefix ``LEDGER_``)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", env_file=".env", extra="ignore")

    # The embedded default keeps `make run` working on a laptop with nothing installed.
    database_url: str = "sqlite:///./royalty-ledger.db"
    admin_token: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # The operator's DDEX party id, written as SenderPartyId in DSR files.
    dsr_sender_id: str = "PADPIDA0000000001X"
    dsr_sender_name: str = "royalty-ledger"
    # Bodies above this are refused before they are parsed (a 10,000-row batch is ~2.5 MB).
    max_body_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    # Load the demo catalogue into an empty embedded database on start (make run sets it).
    demo: bool = False
    # Signs portal session cookies; unset, each process draws a random one (sessions then
    # end on restart and are not shared between workers: set it when running several).
    portal_secret: str | None = None
    # How long a portal session lasts after sign-in.
    portal_session_hours: int = Field(default=8, gt=0, le=24 * 30)


@lru_cache
def get_settings() -> Settings:
    return Settings()
