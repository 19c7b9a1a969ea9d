"""Content hashes of each step's inputs: the job store compares them to decide what is still valid.

A step's hash covers everything that changes its output and nothing else, so editing one segment
in ``plan.json`` re-makes exactly the steps that depend on it:

- ``cast:n``   a character's name and description, the style, image provider + model (its
  reference portrait, drawn only for a character without an uploaded picture)
- ``frame:k``  prompt, style, size, image provider + model, and the reference frame's file sha;
  with a cast, instead the file shas of the references of the characters the frame shows (the
  uploaded picture's, else the portrait's), so a changed reference re-draws exactly their frames;
  its take when re-rolled; an uploaded picture (``Plan.frame_files``) instead: its sha and size
- ``video:i``  video prompt, camera, duration, resolution, video provider + model, and the file
  shas of its first and last frames (frames ``i`` and ``i + 1``); its take when made again
- ``speech:i`` narration, voice, speech provider + model, speed
- ``mux:i``    the clip's and the narration's file shas, and the output spec
- ``assemble`` every segment file's sha, the output spec and the subtitle mode, and the music
  (its file's sha or the synthesised bed's version, and its volume) when there is any, and the
  burned subtitles' style when it is not the default

Upstream *artefacts* enter by their file sha256, so a step is stale when what it was made from
changed on disk, not merely when a prompt did. Before an upstream artefact exists,
:func:`step_hashes` stands its input hash in for its file sha, which answers "what would be
re-made" for an edited plan without touching a file.

Hashes are sha256 over canonical JSON (sorted keys, no whitespace, UTF-8), tagged with the step
kind and :data:`HASH_VERSION`; bump the version when the meaning of a field changes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyreel.assembly.spec import OutputSpec
from storyreel.cast import draws_portraits, frame_references
from storyreel.plan import MAX_CAST, Plan
from storyreel.plan import frame_prompts as frame_prompts  # its old home, still imported from here

HASH_VERSION = 1
_CHUNK = 1 << 20


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no whitespace, no NaN, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def content_hash(kind: str, fields: Mapping[str, Any]) -> str:
    """sha256 (hex) of ``fields`` tagged with the step ``kind`` and the hash version."""
    payload = {"kind": kind, "v": HASH_VERSION, "fields": dict(fields)}
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 (hex) of a file, read in 1 MiB chunks so large clips never sit in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


async def afile_sha256(path: Path) -> str:
    """:func:`file_sha256` off the event loop."""
    return await asyncio.to_thread(file_sha256, path)


def plan_step_hash(
    story: str, *, provider: str, model: str, segments: int | None, language: str | None = None
) -> str:
    fields: dict[str, Any] = {
        "story": story,
        "provider": provider,
        "model": model,
        "segments": segments,
    }
    if language is not None:  # only when given: a detected language follows from the story
        fields["language"] = language
    return content_hash("plan", fields)


def frame_hash(
    *,
    prompt: str,
    style: str,
    size: tuple[int, int],
    provider: str,
    model: str,
    reference_sha: str | None,
    reference_shas: Sequence[str] | None = None,
    take: int = 1,
) -> str:
    fields: dict[str, Any] = {
        "prompt": prompt,
        "style": style,
        "size": list(size),
        "provider": provider,
        "model": model,
        "reference": reference_sha,
    }
    if reference_shas is not None:  # plans with a cast only: frames of older plans keep theirs
        fields["references"] = list(reference_shas)
    if take != 1:  # only a re-roll: frames made before takes existed keep their hash
        fields["take"] = take
    return content_hash("frame", fields)


def upload_frame_hash(*, upload_sha: str, size: tuple[int, int]) -> str:
    """A keyframe the user uploaded: only the picture and the size it is fitted to count."""
    return content_hash("frame", {"upload": upload_sha, "size": list(size)})


def cast_hash(
    *, name: str, description: str, style: str, provider: str, model: str, take: int = 0
) -> str:
    fields: dict[str, Any] = {
        "name": name,
        "description": description,
        "style": style,
        "provider": provider,
        "model": model,
    }
    if take:  # a re-rolled portrait; the first take hashes without it
        fields["take"] = take
    return content_hash("cast", fields)


def character_hash(plan: Plan, n: int, *, provider: str, model: str) -> str:
    """:func:`cast_hash` of cast member ``n``: its portrait step's inputs, and the stand-in for
    a picture's sha when the model takes none (editing the description re-draws its frames)."""
    character = plan.cast[n]
    return cast_hash(
        name=character.name,
        description=character.description,
        style=plan.style,
        provider=provider,
        model=model,
        take=character.take,
    )


def video_hash(
    *,
    prompt: str,
    camera: str,
    duration: int,
    resolution: str,
    provider: str,
    model: str,
    first_frame_sha: str,
    last_frame_sha: str,
    take: int = 1,
) -> str:
    fields: dict[str, Any] = {
        "prompt": prompt,
        "camera": camera,
        "duration": duration,
        "resolution": resolution.upper(),
        "provider": provider,
        "model": model,
        "first": first_frame_sha,
        "last": last_frame_sha,
    }
    if take != 1:  # only a remake: clips made before takes existed keep their hash
        fields["take"] = take
    return content_hash("video", fields)


def speech_hash(
    *,
    narration: str,
    voice_id: str | None,
    provider: str,
    model: str,
    speed: float,
    language: str | None = None,
) -> str:
    fields: dict[str, Any] = {
        "narration": narration,
        "voice": voice_id,
        "provider": provider,
        "model": model,
        # Rounded so 1.0 and 1.0000000001 from a config round-trip hash alike.
        "speed": round(float(speed), 4),
    }
    if language is not None:  # absent in older plans: their narration keeps its hash
        fields["language"] = language
    return content_hash("speech", fields)


def spec_fields(spec: OutputSpec) -> dict[str, Any]:
    return dataclasses.asdict(spec)


def mux_hash(*, video_sha: str, speech_sha: str, spec: OutputSpec) -> str:
    return content_hash(
        "mux", {"video": video_sha, "speech": speech_sha, "spec": spec_fields(spec)}
    )


def music_hash(*, prompt: str, provider: str, model: str) -> str:
    return content_hash("music", {"prompt": prompt, "provider": provider, "model": model})


def assemble_hash(
    *,
    segment_shas: Sequence[str],
    spec: OutputSpec,
    subtitles: str,
    music: Mapping[str, Any] | None = None,
    subtitle_style: str | None = None,
) -> str:
    fields: dict[str, Any] = {
        "segments": list(segment_shas),
        "spec": spec_fields(spec),
        "subtitles": subtitles,
    }
    if music is not None:  # absent without music, so videos made before music keep their hash
        fields["music"] = dict(music)
    if subtitle_style is not None:  # likewise: only a burned, non-default style
        fields["subtitle_style"] = subtitle_style
    return content_hash("assemble", fields)


@dataclass(frozen=True)
class HashContext:
    """Everything outside the plan that a step's output depends on."""

    image_provider: str
    image_model: str
    frame_size: tuple[int, int]
    video_provider: str
    video_model: str
    resolution: str
    speech_provider: str
    speech_model: str
    voice_id: str | None
    speech_speed: float
    spec: OutputSpec
    subtitles: str = "srt"
    music: Mapping[str, Any] | None = None  # see assemble_hash
    # Frames 1..N are drawn with frame 0 as their reference (the orchestrator's continuity rule)
    # in plans without a cast; with one, each frame takes its characters' references instead.
    reference_frame: int | None = 0
    # How many reference images a frame takes (0: the image model takes none; see the catalogue).
    max_references: int = MAX_CAST
    # Uploaded reference pictures: Character.picture (relative path) -> the file's sha256.
    picture_shas: Mapping[str, str] = field(default_factory=dict)


ArtefactSha = Callable[[str], str | None]


def _none(_key: str) -> str | None:
    return None


def step_hashes(
    plan: Plan,
    ctx: HashContext,
    *,
    artefact_sha: ArtefactSha = _none,
    durations: Mapping[int, int] | None = None,
    uploads: Mapping[int, str] | None = None,
) -> dict[str, str]:
    """The inputs hash of every step of ``plan`` after planning, keyed by step key.

    ``artefact_sha(key)`` gives the sha256 of a finished step's file, when known; otherwise the
    upstream step's input hash stands in for it. ``durations`` overrides a segment's clip length
    (the orchestrator picks 6 or 10 s from the spoken narration). ``uploads`` gives the sha of
    each uploaded keyframe (``Plan.frame_files``), which replaces its drawing.
    """
    hashes: dict[str, str] = {}

    def sha_of(key: str) -> str:
        return artefact_sha(key) or hashes[key]

    prompts = frame_prompts(plan)
    uploaded = {
        f"frame:{k}": upload_frame_hash(upload_sha=sha, size=ctx.frame_size)
        for k, sha in (uploads or {}).items()
    }
    hashes.update(uploaded)  # an uploaded keyframe replaces its drawing (and is a reference)
    if plan.cast:
        _cast_frames(plan, ctx, prompts, hashes, sha_of)
    else:
        _anchored_frames(plan, ctx, prompts, hashes, sha_of)
    for i, segment in enumerate(plan.segments):
        hashes[f"speech:{i}"] = speech_hash(
            narration=segment.narration,
            voice_id=ctx.voice_id,
            provider=ctx.speech_provider,
            model=ctx.speech_model,
            speed=ctx.speech_speed,
            language=plan.language,
        )
        hashes[f"video:{i}"] = video_hash(
            prompt=segment.video_prompt,
            camera=segment.camera,
            duration=(durations or {}).get(i, segment.duration),
            resolution=ctx.resolution,
            provider=ctx.video_provider,
            model=ctx.video_model,
            first_frame_sha=sha_of(f"frame:{i}"),
            last_frame_sha=sha_of(f"frame:{i + 1}"),
            take=plan.take(f"video:{i}"),
        )
        hashes[f"mux:{i}"] = mux_hash(
            video_sha=sha_of(f"video:{i}"), speech_sha=sha_of(f"speech:{i}"), spec=ctx.spec
        )
    hashes["assemble"] = assemble_hash(
        segment_shas=[sha_of(f"mux:{i}") for i in range(len(plan.segments))],
        spec=ctx.spec,
        subtitles=ctx.subtitles,
        music=ctx.music,
    )
    return hashes


def _anchored_frames(
    plan: Plan,
    ctx: HashContext,
    prompts: list[str],
    hashes: dict[str, str],
    sha_of: Callable[[str], str],
) -> None:
    """Frames of a plan without a cast: frame 0 is every other frame's reference."""
    order = list(range(len(prompts)))
    ref = ctx.reference_frame
    if ref is not None:  # the reference frame goes first so the others can name its sha
        order.remove(ref)
        order.insert(0, ref)
    for k in order:
        if f"frame:{k}" in hashes:  # uploaded
            continue
        reference = sha_of(f"frame:{ref}") if ref is not None and k != ref else None
        hashes[f"frame:{k}"] = frame_hash(
            prompt=prompts[k],
            style=plan.style,
            size=ctx.frame_size,
            provider=ctx.image_provider,
            model=ctx.image_model,
            reference_sha=reference,
            take=plan.take(f"frame:{k}"),
        )


def _cast_frames(
    plan: Plan,
    ctx: HashContext,
    prompts: list[str],
    hashes: dict[str, str],
    sha_of: Callable[[str], str],
) -> None:
    """Frames of a plan with a cast: each names the references of the characters it shows."""

    def described(n: int) -> str:
        return character_hash(plan, n, provider=ctx.image_provider, model=ctx.image_model)

    drawn = draws_portraits(plan, ctx.max_references)
    for n in drawn:
        hashes[f"cast:{n}"] = described(n)

    def reference_sha(n: int) -> str:
        picture = plan.cast[n].picture
        if picture is not None:
            # An upload not hashed yet (a dry run before the file exists) stands in by its name.
            return ctx.picture_shas.get(picture, picture)
        # A drawn portrait's file; else (no pictures taken) the words it is described in.
        return sha_of(f"cast:{n}") if n in drawn else described(n)

    for k, prompt in enumerate(prompts):
        if f"frame:{k}" in hashes:  # uploaded
            continue
        shown = frame_references(plan, prompt, ctx.max_references)
        hashes[f"frame:{k}"] = frame_hash(
            prompt=prompt,
            style=plan.style,
            size=ctx.frame_size,
            provider=ctx.image_provider,
            model=ctx.image_model,
            reference_sha=None,
            reference_shas=[reference_sha(n) for n in shown],
            take=plan.take(f"frame:{k}"),
        )


def changed_steps(before: Mapping[str, str], after: Mapping[str, str]) -> set[str]:
    """Step keys whose hash differs between two :func:`step_hashes` results (or exist in one)."""
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
