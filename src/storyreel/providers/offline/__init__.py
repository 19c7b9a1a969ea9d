"""Offline providers: every stage without keys or network. A feature of the product, not a test
double: ``storyreel make --offline`` renders a real, playable, narrated video with them."""

from storyreel.providers.offline.images import OfflineImageGen
from storyreel.providers.offline.planner import OfflinePlanner
from storyreel.providers.offline.speech import OfflineSpeechGen
from storyreel.providers.offline.video import OfflineVideoGen

__all__ = ["OfflineImageGen", "OfflinePlanner", "OfflineSpeechGen", "OfflineVideoGen"]
