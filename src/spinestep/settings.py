"""Runtime settings, read from the environment (``SPINESTEP_*``) by a function, never at import."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(user_data_dir("spinestep", appauthor=False))


class Settings(BaseSettings):
    """Installation settings. ``SPINESTEP_DATABASE_URL`` selects the database."""

    model_config = SettingsConfigDict(env_prefix="SPINESTEP_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "spinestep@localhost"

    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file in the user data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'spinestep.db'}"


def load_settings() -> Settings:
    return Settings()
