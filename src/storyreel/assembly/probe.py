"""Probing media with PyAV: the ffmpeg wheel ships no ffprobe, and PyAV reads the same containers.

``probe(path)`` reads headers only (fast); ``probe(path, decode=True)`` decodes every frame of the
first video and audio streams, so a file that merely *looks* right cannot pass.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from storyreel.errors import MediaError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    width: int
    height: int
    fps: Fraction
    pix_fmt: str
    frames: int  # from the header, or counted when decoded; 0 when unknown
    start_time: float
    duration: float  # of this stream; 0.0 when unknown
    sar: Fraction
    profile: str | None
    extradata_sha1: str  # SPS/PPS: stream copy only joins streams whose decoders agree


@dataclass(frozen=True)
class AudioInfo:
    codec: str
    sample_rate: int
    channels: int
    duration: float
    start_time: float
    extradata_sha1: str


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float  # of the container, seconds
    format_name: str
    size_bytes: int
    video: VideoInfo | None
    audio: AudioInfo | None
    decoded: bool = False  # True when every frame was decoded without error


def _seconds(value: int | None, time_base: Fraction | None) -> float:
    if value is None or time_base is None:
        return 0.0
    return float(value * time_base)


def _sha1(data: bytes | None) -> str:
    return hashlib.sha1(data or b"", usedforsecurity=False).hexdigest()


def _video_info(stream: av.video.stream.VideoStream) -> VideoInfo:
    ctx = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(0)
    return VideoInfo(
        codec=ctx.name,
        width=ctx.width,
        height=ctx.height,
        fps=Fraction(rate),
        pix_fmt=ctx.pix_fmt or "",
        frames=stream.frames or 0,
        start_time=_seconds(stream.start_time, stream.time_base),
        duration=_seconds(stream.duration, stream.time_base),
        sar=Fraction(stream.sample_aspect_ratio or 1),
        profile=ctx.profile,
        extradata_sha1=_sha1(ctx.extradata),
    )


def _audio_info(stream: av.audio.stream.AudioStream) -> AudioInfo:
    ctx = stream.codec_context
    return AudioInfo(
        codec=ctx.name,
        sample_rate=ctx.sample_rate,
        channels=ctx.channels,
        duration=_seconds(stream.duration, stream.time_base),
        start_time=_seconds(stream.start_time, stream.time_base),
        extradata_sha1=_sha1(ctx.extradata),
    )


def _decode_all(
    container: av.container.InputContainer, video: VideoInfo | None, audio: AudioInfo | None
) -> tuple[VideoInfo | None, AudioInfo | None, float]:
    """Decode every frame; return infos with counted frames / measured durations."""
    streams: list[av.stream.Stream] = []
    if video is not None:
        streams.append(container.streams.video[0])
    if audio is not None:
        streams.append(container.streams.audio[0])
    frames = 0
    video_end = 0.0
    samples = 0
    audio_end = 0.0
    for frame in container.decode(*streams):
        if isinstance(frame, av.VideoFrame):
            frames += 1
            if frame.pts is not None and frame.time_base is not None:
                step = float(1 / video.fps) if video and video.fps else 0.0
                video_end = max(video_end, float(frame.pts * frame.time_base) + step)
        elif isinstance(frame, av.AudioFrame):
            samples += frame.samples
            if frame.pts is not None and frame.time_base is not None:
                end = float(frame.pts * frame.time_base) + frame.samples / frame.sample_rate
                audio_end = max(audio_end, end)
    if video is not None:
        video = VideoInfo(
            **{**video.__dict__, "frames": frames, "duration": video_end or video.duration}
        )
    if audio is not None:
        measured = samples / audio.sample_rate if audio.sample_rate else 0.0
        audio = AudioInfo(**{**audio.__dict__, "duration": measured})
    return video, audio, max(video_end, audio_end)


def probe(path: Path | str, *, decode: bool = False) -> MediaInfo:
    """Describe ``path``: container duration and its first video and audio streams.

    With ``decode=True`` every frame is decoded (a corrupt file raises), video frames are counted
    and the audio duration is measured from the samples. Raises :class:`MediaError` naming the
    file when it is missing, empty or unreadable.
    """
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path}: no such media file")
    size = path.stat().st_size
    if size == 0:
        raise MediaError(f"{path}: the media file is empty")
    try:
        with av.open(str(path)) as container:
            video = _video_info(container.streams.video[0]) if container.streams.video else None
            audio = _audio_info(container.streams.audio[0]) if container.streams.audio else None
            duration = _seconds(container.duration, Fraction(1, av.time_base))
            if decode:
                video, audio, decoded_end = _decode_all(container, video, audio)
                duration = duration or decoded_end
            if not duration:
                duration = max(video.duration if video else 0.0, audio.duration if audio else 0.0)
            format_name = container.format.name
    except av.FFmpegError as exc:
        raise MediaError(f"{path}: cannot read media ({exc})") from exc
    if video is None and audio is None:
        raise MediaError(f"{path}: no audio or video stream")
    return MediaInfo(
        path=path,
        duration=duration,
        format_name=format_name,
        size_bytes=size,
        video=video,
        audio=audio,
        decoded=decode,
    )
