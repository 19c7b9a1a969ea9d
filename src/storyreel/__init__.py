"""storyreel: a story goes in, ``final_video.mp4`` comes out.

The public surface is small on purpose; everything else lives in private modules.
"""

from storyreel.errors import StoryreelError

__all__ = ["StoryreelError", "__version__"]
__version__ = "0.1.0"
