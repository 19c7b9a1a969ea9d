"""What a job is asked to do: :class:`JobOptions`, validated once for the CLI and the service."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from storyreel.assembly.mix_commands import DEFAULT_MUSIC_VOLUME, Music
from storyreel.config import ProviderChoice
from storyreel.language import MAX_TAG, is_espeak_voice_name, normalize_language
from storyreel.limits import MAX_SEGMENTS
from storyreel.providers.factory import STAGES


class JobOptions(BaseModel):
    """What a job is asked to do: the flags of ``storyreel make`` and the body of ``POST /jobs``."""

    model_config = ConfigDict(extra="forbid")

    # Strict: JSON ``true`` is not a segment count and ``"yes"`` is not a boolean.
    offline: StrictBool = Field(False, description="Use the offline providers for every stage.")
    planner: ProviderChoice | None = None
    images: ProviderChoice | None = None
    video: ProviderChoice | None = None
    speech: ProviderChoice | None = None
    segments: StrictInt | None = Field(
        None, ge=1, le=MAX_SEGMENTS, description="Exact number of segments."
    )
    resolution: Literal["720P", "768P", "1080P"] = "768P"
    aspect: Literal["16:9", "9:16", "1:1"] = Field(
        "16:9", description="The video's shape: landscape 16:9, portrait 9:16 or square 1:1."
    )
    subtitles: Literal["burn", "srt", "none"] = "srt"
    subtitle_style: Literal["boxed", "clean", "bold-outline"] = Field(
        "boxed", description="How burned subtitles look (with subtitles: burn)."
    )
    budget: Decimal | None = Field(None, ge=0, description="Refuse to spend more than this (USD).")
    voice_id: str | None = Field(
        None, max_length=256, description="Narrate with this (cloned or stock) voice."
    )
    concurrency: StrictInt | None = Field(None, ge=1, le=32)
    language: str | None = Field(
        None,
        max_length=MAX_TAG,
        description="The story's language (ISO 639 code: en, zh, ar, ru, es...); "
        "detected from the story when not given.",
    )

    @field_validator("language")
    @classmethod
    def _language_tag(cls, value: str | None) -> str | None:
        return None if value is None else normalize_language(value)

    review: StrictBool = Field(
        False,
        description="Stop in the review status after the cheap stages (plan, keyframes, "
        "narration, storyboard), before any video is paid for; POST /jobs/{id}/approve renders.",
    )
    music: str = Field(
        "none",
        min_length=1,
        max_length=4096,
        description='"none", "auto" (an instrumental bed made for the video), a track: from the '
        'API "upload:<music_id>" (see POST /music), from the CLI its absolute path (looped or '
        "trimmed to the video).",
    )
    music_volume: float = Field(
        DEFAULT_MUSIC_VOLUME,
        gt=0,
        le=1,
        strict=True,
        description="The bed between sentences, as a fraction of the narration's loudness.",
    )

    @field_validator("voice_id")
    @classmethod
    def _voice_id_pattern(cls, value: str | None) -> str | None:
        # The same rule as POST /voices: an unchecked id was stored and echoed at any size.
        if value is not None:
            from storyreel.minimax import MiniMaxValidationError, validate_voice_id

            if is_espeak_voice_name(value):  # an offline voice ("es", "en-us", "cmn")
                return value
            try:
                validate_voice_id(value)
            except MiniMaxValidationError as error:
                raise ValueError(f"not a valid voice id: {error.fix}") from None
        return value

    def music_bed(self) -> Music | None:
        """The bed asked for: none, the synthesised one (``auto``) or the user's track."""
        if self.music == "none":
            return None
        path = None if self.music == "auto" else Path(self.music)
        return Music(path, self.music_volume)

    def overrides(self) -> dict[str, str]:
        if self.offline:
            return dict.fromkeys(STAGES, "offline")
        chosen = {
            "planner": self.planner,
            "images": self.images,
            "video": self.video,
            "speech": self.speech,
        }
        return {stage: value for stage, value in chosen.items() if value is not None}


__all__ = ["JobOptions"]
