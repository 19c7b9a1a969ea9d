"""Settings of the MiniMax client, read from ``MINIMAX_*`` environment variables and ``.env``."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

GLOBAL_HOST = "https://api.minimax.io"
MAINLAND_HOST = "https://api.minimaxi.com"


class MiniMaxSettings(BaseSettings):
    """How to reach MiniMax. A key only works on its own region's host (global vs mainland)."""

    model_config = SettingsConfigDict(
        env_prefix="MINIMAX_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    api_key: SecretStr | None = None
    # Accepted with or without a trailing /v1; stored without it.
    base_url: str = GLOBAL_HOST
    mock_mode: bool = False
    poll_initial_delay: float = Field(5.0, ge=0)
    poll_interval: float = Field(10.0, gt=0)
    # Hailuo-02 under queueing can take longer than the seed's 10 minutes.
    poll_timeout: float = Field(1200.0, gt=0)
    video_rpm: int = Field(5, ge=1)
    tts_rpm: int = Field(60, ge=1)
    clone_rpm: int = Field(60, ge=1)
    request_timeout: float = Field(60.0, gt=0)
    max_retries: int = Field(3, ge=0)

    @field_validator("base_url")
    @classmethod
    def _strip_version(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value.endswith("/v1"):
            value = value[: -len("/v1")]
        return value

    @property
    def mocked(self) -> bool:
        """Mock mode is on when asked for, or when there is no key (the seed's rule)."""
        key = self.api_key.get_secret_value().strip() if self.api_key else ""
        return self.mock_mode or not key
