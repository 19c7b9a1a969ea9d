"""Camera moves for offline clips, as pure data and a pure FFmpeg argv builder.

A move is a path of the visible window over a composite of the two keyframes: ``scale`` is how
much larger than the canvas the composite is drawn (1.0 shows the whole frame, 1.3 a 77 % crop),
``x``/``y`` place the window inside the spare margin (0 = left/top edge, 1 = right/bottom),
``arc`` lifts the window along a half sine on the way (fraction of the vertical margin),
``shake`` jitters it (fraction of the canvas width). Every value moves from its start to its end
along a smoothstep curve, so the camera eases in and out like a real one.

Speed matters more than anything here (an offline render must beat real time by 2x on 2 cores):
each keyframe is decoded and scaled once and then repeated by the ``loop`` filter, the window is a
``crop`` with time expressions (nearly free), and only moves that change the scale pay for a
per-frame ``scale``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storyreel.assembly.commands import video_encode_args
from storyreel.assembly.spec import OutputSpec

FPS = 24
# The dissolve is computed at half rate and each blend shown twice: a 2 % step in opacity cannot
# be seen, and the blend is a per-pixel cost. The camera still moves at the full 24 fps.
DISSOLVE_FPS = 12
# The first frame is held briefly, then dissolves into the last one, which is held at the end.
HOLD_FRACTION = 0.15
FADE_FRACTION = 0.70


@dataclass(frozen=True)
class Move:
    scale: tuple[float, float] = (1.0, 1.0)
    x: tuple[float, float] = (0.5, 0.5)
    y: tuple[float, float] = (0.5, 0.5)
    arc: float = 0.0
    shake: float = 0.0

    @property
    def zooms(self) -> bool:
        return self.scale[0] != self.scale[1]


_PAN = 1.25
_TRUCK = 1.2
_MOVES: dict[str, Move] = {
    "Static shot": Move(),
    "Zoom in": Move(scale=(1.0, 1.35)),
    "Zoom out": Move(scale=(1.35, 1.0)),
    "Push in": Move(scale=(1.0, 1.25), y=(0.5, 0.4)),
    "Pull out": Move(scale=(1.25, 1.0), y=(0.4, 0.5)),
    "Dolly forward": Move(scale=(1.05, 1.25), y=(0.6, 0.45)),
    "Dolly back": Move(scale=(1.25, 1.05), y=(0.45, 0.6)),
    "Pan left": Move(scale=(_PAN, _PAN), x=(1.0, 0.0)),
    "Pan right": Move(scale=(_PAN, _PAN), x=(0.0, 1.0)),
    "Truck left": Move(scale=(_TRUCK, _TRUCK), x=(1.0, 0.0), y=(0.45, 0.55)),
    "Truck right": Move(scale=(_TRUCK, _TRUCK), x=(0.0, 1.0), y=(0.45, 0.55)),
    "Tilt up": Move(scale=(_PAN, _PAN), y=(1.0, 0.0)),
    "Tilt down": Move(scale=(_PAN, _PAN), y=(0.0, 1.0)),
    "Pedestal up": Move(scale=(_TRUCK, _TRUCK), y=(1.0, 0.0), x=(0.45, 0.55)),
    "Pedestal down": Move(scale=(_TRUCK, _TRUCK), y=(0.0, 1.0), x=(0.55, 0.45)),
    "Crane up": Move(scale=(1.3, 1.1), y=(1.0, 0.2)),
    "Crane down": Move(scale=(1.1, 1.3), y=(0.2, 1.0)),
    # A sideways sweep on a shallow arc while closing in reads as circling the subject. (A roll
    # would sell it better, but rotating every pixel triples the render time.)
    "Orbit left": Move(scale=(1.2, 1.3), x=(0.9, 0.1), y=(0.6, 0.6), arc=0.5),
    "Orbit right": Move(scale=(1.2, 1.3), x=(0.1, 0.9), y=(0.6, 0.6), arc=0.5),
    "Shake": Move(scale=(1.1, 1.1), shake=0.008),
    "Tracking shot": Move(scale=(1.2, 1.28), x=(0.0, 1.0), y=(0.55, 0.5)),
}


def move_for(camera: str) -> Move:
    """The move for a canonical camera command; unknown commands hold the shot still."""
    return _MOVES.get(camera, _MOVES["Static shot"])


def known_moves() -> tuple[str, ...]:
    return tuple(_MOVES)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _lerp(span: tuple[float, float], ease: str) -> str:
    start, end = span
    if start == end:
        return f"{start:g}"
    return f"({start:g}+({end - start:g})*{ease})"


def _still(source: str, label: str, size: tuple[int, int], frames: int, crop: str = "") -> str:
    w, h = size
    return (
        f"[{source}]{crop}scale={w}:{h}:force_original_aspect_ratio=increase:flags=bicubic,"
        f"crop={w}:{h},setsar=1,format=yuv420p,"
        f"loop=loop={frames - 1}:size=1,setpts=N/{DISSOLVE_FPS}/TB[{label}]"
    )


def clip_filter(move: Move, size: tuple[int, int], duration: int, caption: float = 0.0) -> str:
    """The ``-filter_complex`` graph: inputs 0 and 1 are the keyframes, output ``[v]``.

    ``caption`` is the share of the height taken by a caption band at the bottom of both
    keyframes (0 for none): the band dissolves in place, unmoved, and the camera moves over the
    picture above it, so the text stays readable through every move.
    """
    width, full_height = size
    band = _even(full_height * caption) if caption > 0 else 0
    height = full_height - band
    frames = duration * FPS
    top = max(move.scale)
    work = (_even(width * top), _even(height * top))
    # Smoothstep of the clip's progress; ``t`` is the frame time in every filter used below.
    p = f"(t/{duration})"
    ease = f"({p}*{p}*(3-2*{p}))"
    hold = round(duration * HOLD_FRACTION, 3)
    fade = round(duration * FADE_FRACTION, 3)
    # One spare source frame so the rate conversion never runs short of the last output frame.
    sources = duration * DISSOLVE_FPS + 1
    dissolve = (
        f"xfade=transition=fade:duration={fade:g}:offset={hold:g},"
        f"fps={FPS},trim=end_frame={frames},setpts=N/{FPS}/TB"
    )

    graph = []
    if band:
        scene_crop = f"crop=iw:ih*{1 - caption:.6f}:0:0,"
        band_crop = f"crop=iw:ih*{caption:.6f}:0:ih*{1 - caption:.6f},"
        graph += [
            "[0]split[s0][c0]",
            "[1]split[s1][c1]",
            _still("s0", "a", work, sources, scene_crop),
            _still("s1", "b", work, sources, scene_crop),
            _still("c0", "ca", (width, band), sources, band_crop),
            _still("c1", "cb", (width, band), sources, band_crop),
            f"[ca][cb]{dissolve}[band]",
        ]
    else:
        graph += [_still("0", "a", work, sources), _still("1", "b", work, sources)]

    chain = [dissolve]
    if move.zooms:
        # The composite is drawn at the largest scale and shrunk frame by frame to the current one
        # (fast_bilinear: a third cheaper than bilinear, and a downscale under 1.35x hides it).
        scale = _lerp(move.scale, ease)
        chain.append(
            f"scale=w='2*trunc({width}*{scale}/2)':h='2*trunc({height}*{scale}/2)'"
            ":eval=frame:flags=fast_bilinear"
        )
    x = f"(iw-{width})*{_lerp(move.x, ease)}"
    y = f"(ih-{height})*{_lerp(move.y, ease)}"
    if move.arc:
        y += f"-(ih-{height})*{move.arc:g}*sin(PI*{ease})"
    if move.shake:
        amp = round(width * move.shake, 2)
        # Two incommensurate frequencies per axis: irregular like a hand-held camera, yet
        # deterministic.
        x += f"+{amp:g}*(sin(2*PI*t*4.3)+0.5*sin(2*PI*t*11.1))/1.5"
        y += f"+{amp:g}*(sin(2*PI*t*5.1+1)+0.5*sin(2*PI*t*9.7))/1.5"
    # crop clamps the window inside the picture, so arcs and shakes never show an edge.
    chain.append(f"crop={width}:{height}:x='{x}':y='{y}':exact=1")
    chain.append("setsar=1")
    if band:
        graph.append("[a][b]" + ",".join(chain) + "[scene]")
        graph.append("[scene][band]vstack=inputs=2,format=yuv420p[v]")
    else:
        graph.append("[a][b]" + ",".join(chain) + ",format=yuv420p[v]")
    return ";".join(graph)


def clip_argv(
    first: Path,
    last: Path,
    out: Path,
    *,
    camera: str,
    size: tuple[int, int],
    duration: int,
    caption: float = 0.0,
    threads: int = 0,
) -> list[str]:
    """Arguments for :func:`storyreel.assembly.ffmpeg.run_ffmpeg` rendering one clip.

    The clip is encoded exactly as assembly encodes segments (same size, fps and x264
    settings), so muxing can copy it instead of encoding every frame a second time.
    """
    width, height = size
    return [
        "-i", str(first),
        "-i", str(last),
        "-filter_complex", clip_filter(move_for(camera), size, duration, caption),
        "-map", "[v]",
        "-frames:v", str(duration * FPS),
        *video_encode_args(OutputSpec(width=width, height=height, fps=FPS)),
        "-threads", str(threads),
        "-movflags", "+faststart",
        "-an",
        "-f", "mp4",
        str(out),
    ]  # fmt: skip
