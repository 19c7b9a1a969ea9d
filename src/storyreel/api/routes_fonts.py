"""``/fonts/{name}``: the web fonts the page draws CJK and Arabic text with (see
:mod:`storyreel.api.webfonts`). Public like ``/static``: they hold nothing of anyone's."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from storyreel.api.deps import SettingsDep
from storyreel.api.webfonts import MEDIA_TYPES, font_file

router = APIRouter(include_in_schema=False)

# A week: the files change only with the font packages; FileResponse's ETag revalidates after.
CACHE_CONTROL = "public, max-age=604800"


@router.get("/fonts/{name}")
async def web_font(
    name: Literal["noto-sans-cjk-sc.otf", "noto-sans-arabic.ttf"], settings: SettingsDep
) -> FileResponse:
    path = await run_in_threadpool(font_file, name, settings.data_dir)
    return FileResponse(
        path, media_type=MEDIA_TYPES[name], headers={"Cache-Control": CACHE_CONTROL}
    )
