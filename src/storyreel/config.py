"""storyreel's settings (pydantic-settings). Built once by the entry point and passed in, never a
module global, so tests and the service can hand in their own."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from storyreel.minimax import TTS_SPEED_RANGE, MiniMaxSettings
from storyreel.providers.catalogue import DEFAULTS

ProviderChoice = Literal["auto", "openai", "minimax", "offline"]


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("storyreel", appauthor=False))


class OpenAISettings(BaseSettings):
    """How to reach OpenAI. The official SDK also reads these names itself."""

    model_config = SettingsConfigDict(
        env_prefix="OPENAI_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    api_key: SecretStr | None = None
    base_url: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.api_key and self.api_key.get_secret_value().strip())


class Settings(BaseSettings):
    """Everything storyreel reads from ``STORYREEL_*`` variables, plus the two services' own."""

    model_config = SettingsConfigDict(
        env_prefix="STORYREEL_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    # A JSON or TOML file overriding entries of the default price table (storyreel.pipeline.cost).
    prices: Path | None = None
    # Which provider does each stage. "auto" = the real one when its key is set, else offline.
    planner: ProviderChoice = "auto"
    images: ProviderChoice = "auto"
    video: ProviderChoice = "auto"
    speech: ProviderChoice = "auto"
    # Any model name: the catalogue (storyreel.providers.catalogue) knows the rules of each
    # family, and a model past its announced shutdown is refused before any paid call.
    planner_model: str = Field(DEFAULTS["planner"], min_length=1, max_length=100)
    image_model: str = Field(DEFAULTS["images"], min_length=1, max_length=100)
    # None: the image family's default ("medium" for GPT image models); always sent explicitly.
    image_quality: str | None = Field(None, max_length=20)
    video_model: str = Field(DEFAULTS["video"], min_length=1, max_length=100)
    tts_model: str = Field(DEFAULTS["speech"], min_length=1, max_length=100)
    voice_id: str | None = None
    speech_speed: float = Field(1.0, ge=TTS_SPEED_RANGE[0], le=TTS_SPEED_RANGE[1])
    concurrency: int = Field(4, ge=1, le=32)
    public_url: str | None = None
    # Host names a service without STORYREEL_API_TOKEN answers to, beyond localhost and the
    # public URL's (JSON list): any other Host header is refused, against DNS rebinding.
    allowed_hosts: list[str] = Field(default_factory=list)
    api_token: SecretStr | None = None
    broker_url: str | None = None
    # postgresql://... puts the job store in PostgreSQL (several machines); unset: SQLite.
    database_url: str | None = None

    minimax: MiniMaxSettings = Field(default_factory=MiniMaxSettings)
    openai: OpenAISettings = Field(default_factory=OpenAISettings)
