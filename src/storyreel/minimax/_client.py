"""``AsyncMiniMax``: one async client for the MiniMax endpoints the seed describes.

Split like openai-python's client: ``_base_client.BaseClient`` holds the plumbing (auth, the
HTTP clients, rate slots, retries, ``base_resp`` checks, redaction) and each resource module
adds one group of endpoints as a mixin of it. ``AsyncMiniMax`` only composes them, so each
method is written once and called as before (``client.text_to_audio(...)``).
"""

from __future__ import annotations

from ._files import FilesResource
from ._music import MusicResource
from ._speech import SpeechResource
from ._video import VideoResource
from ._voices import VoicesResource


class AsyncMiniMax(VoicesResource, SpeechResource, MusicResource, VideoResource, FilesResource):
    """Async MiniMax client. Use as ``async with AsyncMiniMax() as mm: ...``.

    With no key or ``MINIMAX_MOCK_MODE=true`` it is ``mocked``: answers come from packaged
    real-shaped fixtures and media are made locally with ffmpeg; nothing leaves the process.

    files: ``upload_file``, ``retrieve_file``, ``download_file``; voices: ``voice_clone``,
    ``clone_voice``, ``has_voice``, ``ensure_voice``, ``list_voices``; speech:
    ``text_to_audio``; music: ``music_generation``; video: ``generate_video``,
    ``generate_video_fl2v``, ``query_video_status``, ``wait_for_video``.
    """
