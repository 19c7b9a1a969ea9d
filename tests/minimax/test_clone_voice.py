"""clone_voice: validate, upload, clone; duplicates; recovery after an unknown outcome."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx

from storyreel.minimax import AsyncMiniMax, DuplicateVoiceError, UnknownOutcomeError

from .conftest import fail, ok

UPLOADED = ok(file={"file_id": 362069085524212, "bytes": 1, "purpose": "voice_clone"})
CLONED = ok(input_sensitive=False, input_sensitive_type=0, demo_audio="")


def voices(*ids: str) -> httpx.Response:
    return ok(system_voice=[], voice_cloning=[{"voice_id": v} for v in ids])


async def test_clone_voice_happy_path(
    client: AsyncMiniMax, router: respx.MockRouter, sample: Path
) -> None:
    upload = router.post("/files/upload").mock(return_value=UPLOADED)
    clone = router.post("/voice_clone").mock(return_value=CLONED)
    result = await client.clone_voice(sample, "Narrator01", need_volume_normalization=True)
    assert result.voice_id == "Narrator01"
    assert upload.call_count == 1 and b"voice_clone" in upload.calls.last.request.content
    body = json.loads(clone.calls.last.request.content)
    assert body["file_id"] == 362069085524212 and body["need_volume_normalization"] is True


@pytest.mark.parametrize(
    "answer",
    [fail(2039, "voice clone voice id duplicate"), fail(1001, "voice clone voice id duplicate")],
)
async def test_duplicate_voice(
    client: AsyncMiniMax, router: respx.MockRouter, sample: Path, answer: httpx.Response
) -> None:
    router.post("/files/upload").mock(return_value=UPLOADED)
    router.post("/voice_clone").mock(return_value=answer)
    with pytest.raises(DuplicateVoiceError) as info:
        await client.clone_voice(sample, "Narrator01")
    assert info.value.already_exists is True and info.value.endpoint == "voice_clone"
    assert "already has this voice_id" in str(info.value)


async def test_unknown_outcome_then_listed_means_done(
    client: AsyncMiniMax, router: respx.MockRouter, sample: Path
) -> None:
    router.post("/files/upload").mock(return_value=UPLOADED)
    clone = router.post("/voice_clone").mock(side_effect=httpx.ReadTimeout("slow"))
    router.post("/get_voice").mock(return_value=voices("Narrator01"))
    result = await client.clone_voice(sample, "Narrator01")
    assert result.voice_id == "Narrator01" and clone.call_count == 1


async def test_unknown_outcome_then_duplicate_means_it_worked(
    client: AsyncMiniMax, router: respx.MockRouter, sample: Path
) -> None:
    router.post("/files/upload").mock(return_value=UPLOADED)
    clone = router.post("/voice_clone").mock(
        side_effect=[httpx.ReadTimeout("slow"), fail(2039, "voice clone voice id duplicate")]
    )
    listing = router.post("/get_voice").mock(side_effect=[voices(), voices("Narrator01")])
    result = await client.clone_voice(sample, "Narrator01")
    assert result.voice_id == "Narrator01"
    assert clone.call_count == 2 and listing.call_count == 2


async def test_unknown_outcome_then_repeat_succeeds(
    client: AsyncMiniMax, router: respx.MockRouter, sample: Path
) -> None:
    router.post("/files/upload").mock(return_value=UPLOADED)
    router.post("/voice_clone").mock(side_effect=[httpx.ReadTimeout("slow"), CLONED])
    router.post("/get_voice").mock(return_value=voices())
    assert (await client.clone_voice(sample, "Narrator01")).voice_id == "Narrator01"


async def test_unknown_outcome_twice_is_raised(
    client: AsyncMiniMax, router: respx.MockRouter, sample: Path
) -> None:
    router.post("/files/upload").mock(return_value=UPLOADED)
    router.post("/voice_clone").mock(side_effect=httpx.ReadTimeout("slow"))
    router.post("/get_voice").mock(return_value=voices())
    with pytest.raises(UnknownOutcomeError):
        await client.clone_voice(sample, "Narrator01")


async def test_unknown_outcome_duplicate_not_yet_listed(
    client: AsyncMiniMax, router: respx.MockRouter, sample: Path
) -> None:
    router.post("/files/upload").mock(return_value=UPLOADED)
    router.post("/voice_clone").mock(
        side_effect=[httpx.ReadTimeout("slow"), fail(2039, "duplicate")]
    )
    router.post("/get_voice").mock(return_value=voices())
    assert (await client.clone_voice(sample, "Narrator01")).voice_id == "Narrator01"
