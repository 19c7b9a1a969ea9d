"""``manifest.json``: what a render made, where (paths relative to the output folder), how long
each part lasts, and which providers made it. The job lifecycle adds the spend afterwards."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from storyreel.assembly.mix_commands import Music
from storyreel.assembly.spec import DEFAULT_ASPECT
from storyreel.files import write_bytes_atomic_sync
from storyreel.pipeline.layout import OutputLayout
from storyreel.pipeline.render_types import ProviderSet, RenderResult, SegmentOutcome
from storyreel.plan import Plan


def _music_entry(music: Music | None, root: Path) -> dict[str, object] | None:
    if music is None:
        return None
    track = "synthesised" if music.path is None else str(music.path)
    if music.path is not None and music.path.is_relative_to(root):
        track = str(music.path.relative_to(root))  # the generated bed, in the folder
    return {"track": track, "volume": music.volume}


def write_manifest(
    layout: OutputLayout,
    *,
    plan: Plan,
    outcomes: Sequence[SegmentOutcome],
    starts: Sequence[float],
    result: RenderResult,
    music: Music | None,
    resolution: str,
    providers: ProviderSet,
    aspect: str = DEFAULT_ASPECT,
) -> None:
    """Write the manifest (atomically, fsynced: call it off the event loop)."""
    root = layout.root

    def rel(path: Path | None) -> str | None:
        return str(path.relative_to(root)) if path else None

    manifest = {
        "title": plan.title,
        "video": rel(result.video),
        "subtitles": rel(result.subtitles),
        "storyboard": rel(result.storyboard),
        "plan": rel(layout.plan),
        "duration": round(result.duration, 3),
        "resolution": resolution,
        "aspect": aspect,
        "silence": dataclasses.asdict(result.silence) if result.silence else None,
        "language": plan.language,
        "voice": providers.speech.voice_for(plan.language),
        "music": _music_entry(music, root),
        "providers": {
            "planner": providers.planner.describe(),
            "images": providers.images.describe(),
            "video": providers.video.describe(),
            "speech": providers.speech.describe(),
        },
        "segments": [
            {
                "index": i + 1,
                "start": round(starts[i], 3),
                "duration": round(o.info.duration, 3) if o.info else None,
                "clip_duration": seg.duration,
                "speech_seconds": round(o.speech_seconds, 3),
                # > 1: sped up to fit the clip; < 1: slowed to fill it (None: not known here)
                "tempo": round(o.spoken_seconds / o.speech_seconds, 3)
                if o.spoken_seconds and o.speech_seconds > 0
                else None,
                "camera": seg.camera,
                "narration_text": seg.narration,
                "narration": rel(o.narration),
                "clip": rel(o.clip),
                "video_mux": o.video_mux,
                "segment": rel(o.segment),
                "first_frame": rel(layout.frame(i)),
                "last_frame": rel(layout.frame(i + 1)),
            }
            for i, (seg, o) in enumerate(zip(plan.segments, outcomes, strict=True))
        ],
    }
    write_bytes_atomic_sync(layout.manifest, (json.dumps(manifest, indent=2) + "\n").encode())
