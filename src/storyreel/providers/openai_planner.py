"""The OpenAI planner: one structured-output call turns a story into a validated ``Plan``.

The model answers into ``PlanDraft``, a schema OpenAI's strict mode accepts (every field
required, no defaults, enums for the camera and the duration). The draft is then checked and
turned into a ``Plan``; a draft that fails is sent back once with the reasons, never passed on.
"""

from __future__ import annotations

import logging

import openai
import pydantic
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from pydantic import BaseModel, ConfigDict, Field

from storyreel.assembly.pacing import GAP
from storyreel.assembly.spec import COMPOSITIONS, DEFAULT_ASPECT
from storyreel.assembly.timing import CLIP_DURATIONS, Duration
from storyreel.config import Settings
from storyreel.errors import ProviderError
from storyreel.limits import MAX_SEGMENTS
from storyreel.minimax import OFFICIAL_CAMERA_COMMANDS as CAMERA_COMMANDS
from storyreel.minimax import unknown_camera_commands as unknown_commands
from storyreel.plan import MAX_VIDEO_PROMPT, Plan
from storyreel.providers._openai_common import PROVIDER, build_openai_client, provider_error

log = logging.getLogger(__name__)

STAGE = "plan"
# Speech runs at about 2.3 words a second; these leave room for a breath at each cut.
WORDS_FOR = {6: 13, 10: 24}
DEFAULT_SEGMENT_RANGE = (3, 8)


class CharacterDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="How the story names this character.")
    look: str = Field(
        description="Fixed visual description (age, build, hair, clothes, colours), "
        "repeated word for word in every frame prompt showing the character."
    )


class SegmentDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    narration: str = Field(description="Narrator's words for this clip.")
    duration: Duration = Field(description="Clip length in seconds.")
    camera: str = Field(
        description="The one camera command of this clip.",
        json_schema_extra={"enum": list(CAMERA_COMMANDS)},
    )
    video_prompt: str = Field(
        description="Motion prompt; starts with the camera command in square brackets."
    )
    first_frame_prompt: str = Field(description="Image prompt of the clip's first frame.")
    last_frame_prompt: str = Field(description="Image prompt of the clip's last frame.")


class PlanDraft(BaseModel):
    """What the model fills in; mirrors ``Plan`` plus a character sheet that keeps looks fixed."""

    model_config = ConfigDict(extra="forbid")

    title: str
    style: str = Field(description="One visual style shared by every frame.")
    characters: list[CharacterDraft]
    segments: list[SegmentDraft]


SYSTEM_PROMPT = f"""\
You are the director of a short narrated video made from a story. You split the story into \
segments; each segment becomes one video clip that moves from a first keyframe image to a last \
keyframe image, with narration spoken over it.

Rules for every plan:
- title: a short title for the video.
- style: one visual style for the whole video (medium, palette, lighting, lens, mood), for \
example "soft watercolour, warm dusk light, muted teal and amber palette". Every frame prompt \
ends with this same style sentence.
- characters: every recurring character with a fixed visual description (age, build, hair, \
clothing, colours). Whenever a character appears in a frame prompt, describe them with exactly \
the same words as in this list, so they look the same in every image.
- segments, in story order. For each segment:
  - narration: what the narrator says, in the story's language. A 6-second clip holds at most \
{WORDS_FOR[6]} words; a 10-second clip at most {WORDS_FOR[10]} words. Choose duration 6 for \
short lines and 10 for longer ones; never write more words than the clip holds. Fill the clip: \
a narration much shorter than its clip leaves the picture silent, so join short sentences into \
one segment rather than giving each its own; cut a sentence only when it is too long for a \
10-second clip, and then at a comma or clause, never mid-phrase.
  - duration: 6 or 10.
  - camera: exactly one of these camera commands: {", ".join(CAMERA_COMMANDS)}.
  - video_prompt: starts with that camera command in square brackets, e.g. "[{CAMERA_COMMANDS[0]}] \
...", then describes the motion and action between the first and the last frame. Use no other \
bracketed text. Keep it under 600 characters (the hard limit is {MAX_VIDEO_PROMPT}).
  - first_frame_prompt and last_frame_prompt: self-contained image prompts (the image model \
sees nothing else) describing the setting, the characters (with their fixed descriptions), \
their poses and the composition of a {COMPOSITIONS[DEFAULT_ASPECT]} frame, ending with the \
style sentence. No text, captions or logos in the images.
  - Continuity: each segment's last_frame_prompt is also the next segment's first frame, so the \
next segment's first_frame_prompt must repeat the previous last_frame_prompt word for word.
- Keep prompts free of real people's names, gore and anything a content filter would refuse.
- Narration stays in the story's own language and script, never translated (a Chinese story is \
narrated in Chinese, an Arabic one in Arabic; in Chinese or Japanese two characters count as one \
word); prompts are written in English.
"""


def system_prompt(aspect: str = DEFAULT_ASPECT) -> str:
    """The system prompt with frames composed for ``aspect``."""
    return SYSTEM_PROMPT.replace(COMPOSITIONS[DEFAULT_ASPECT], COMPOSITIONS[aspect])


def _segments_instruction(segments: int | None) -> str:
    if segments is not None:
        return f"Split it into exactly {segments} segments."
    low, high = DEFAULT_SEGMENT_RANGE
    return f"Split it into {low} to {high} segments, one per story beat."


def _pace_instruction(pace: float | None) -> str:
    """The voice's measured pace as clip sizes in letters: the word counts above are a rule of
    thumb, this is the narrator that will speak (letters and digits; a Chinese character is
    one)."""
    if not pace or pace <= 0:
        return ""
    short, long = (round((clip - GAP) * pace) for clip in CLIP_DURATIONS)
    return (
        f" The narrator speaks about {pace:.1f} letters a second: a 6-second narration is about"
        f" {short} letters (not counting spaces and punctuation), a 10-second one about {long}."
    )


def _describe_validation(exc: pydantic.ValidationError) -> str:
    # pydantic's own str() repeats whole inputs; a list of "where: what" is enough for the model.
    parts = []
    for error in exc.errors()[:10]:
        where = ".".join(str(p) for p in error["loc"]) or "plan"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _request_id(completion: ChatCompletion | None) -> str | None:
    """OpenAI's x-request-id (what their support asks for), else the completion id."""
    if completion is None:
        return None
    # Only responses the SDK built itself carry the header; a completion an SDK error carries
    # is built without it (not a capability: an attribute the SDK sets on some objects).
    request_id: str | None = getattr(completion, "_request_id", None)
    return request_id or completion.id


def draft_to_plan(draft: PlanDraft, *, segments: int | None = None) -> Plan:
    """Check a draft and turn it into a ``Plan``. Raises ``ValueError`` naming every problem."""
    problems: list[str] = []
    if segments is not None and len(draft.segments) != segments:
        problems.append(f"expected exactly {segments} segments, got {len(draft.segments)}")
    if not draft.segments:
        problems.append("the plan has no segments")
    if len(draft.segments) > MAX_SEGMENTS:
        # Every segment is a paid clip: the cap holds in every planning mode, the model's too.
        problems.append(f"the plan has {len(draft.segments)} segments; at most {MAX_SEGMENTS}")
    for number, seg in enumerate(draft.segments, start=1):
        unknown = unknown_commands(seg.video_prompt)
        if unknown:
            problems.append(
                f"segment {number}: video_prompt uses unknown camera command(s) "
                f"{', '.join(unknown)}; use only {', '.join(CAMERA_COMMANDS)}"
            )
        if len(seg.video_prompt) > MAX_VIDEO_PROMPT:
            problems.append(
                f"segment {number}: video_prompt has {len(seg.video_prompt)} characters; "
                f"the limit is {MAX_VIDEO_PROMPT}"
            )
    if problems:
        raise ValueError("; ".join(problems))

    built: list[dict[str, object]] = []
    previous_last: str | None = None
    for seg in draft.segments:
        duration = seg.duration
        words = len(seg.narration.split())
        # Repair rather than re-ask: a line too long for 6 s fits a 10 s clip.
        if duration == 6 and words > WORDS_FOR[6]:
            duration = 10
        if words > WORDS_FOR[10]:
            log.warning("narration of %d words may run past its %d s clip", words, duration)
        first = seg.first_frame_prompt
        if previous_last is not None and first != previous_last:
            # Segment i's last frame *is* segment i+1's first frame; one prompt draws it.
            log.debug("aligning a first_frame_prompt with the previous last_frame_prompt")
            first = previous_last
        built.append(
            {
                "narration": seg.narration,
                "video_prompt": seg.video_prompt,
                "first_frame_prompt": first,
                "last_frame_prompt": seg.last_frame_prompt,
                "camera": seg.camera,
                "duration": duration,
            }
        )
        previous_last = seg.last_frame_prompt
    # Validated as a whole so errors point at "segments.2.camera", which the model can act on.
    return Plan.model_validate({"title": draft.title, "style": draft.style, "segments": built})


class OpenAIPlanner:
    """Plans with an OpenAI chat model (``settings.planner_model``, default ``gpt-5.5``)."""

    name = "openai"
    paid = True

    def __init__(self, settings: Settings, *, client: AsyncOpenAI | None = None) -> None:
        self.model = settings.planner_model
        self._owns_client = client is None
        self._client = client if client is not None else build_openai_client(settings.openai)

    def __repr__(self) -> str:
        return f"OpenAIPlanner(model={self.model!r})"

    def describe(self) -> str:
        return f"openai ({self.model})"

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.close()

    async def plan(
        self,
        story: str,
        *,
        segments: int | None = None,
        aspect: str = DEFAULT_ASPECT,
        pace: float | None = None,
    ) -> Plan:
        asked = _segments_instruction(segments) + _pace_instruction(pace)
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": system_prompt(aspect)},
            {"role": "user", "content": f"{asked}\n\nStory:\n{story.strip()}"},
        ]
        problem = ""
        for attempt in (1, 2):
            answer, problem, trace_id = await self._ask(messages)
            if answer is not None:
                try:
                    return draft_to_plan(answer, segments=segments)
                except pydantic.ValidationError as exc:
                    problem = _describe_validation(exc)
                except ValueError as exc:
                    problem = str(exc)
            log.info("plan attempt %d was not valid: %s", attempt, problem)
            if attempt == 1:
                if answer is not None:
                    messages.append({"role": "assistant", "content": answer.model_dump_json()})
                messages.append(
                    {
                        "role": "user",
                        "content": f"That plan is not valid: {problem}. Reply with the whole "
                        "corrected plan, following every rule.",
                    }
                )
        raise ProviderError(
            f"the model's plan was still invalid after one re-ask: {problem}",
            stage=STAGE,
            provider=PROVIDER,
            code="invalid_plan",
            trace_id=trace_id,
        )

    async def _ask(
        self, messages: list[ChatCompletionMessageParam]
    ) -> tuple[PlanDraft | None, str, str | None]:
        """One call. Returns (draft, "") or (None, why it is unusable), plus the request id.

        Problems the model can fix (a refusal, a draft that does not parse) come back as text
        for the re-ask; anything else (key, quota, network) is raised at once.
        """
        try:
            completion = await self._client.chat.completions.parse(
                model=self.model, messages=messages, response_format=PlanDraft
            )
        except pydantic.ValidationError as exc:
            return None, f"the answer did not match the schema: {_describe_validation(exc)}", None
        except openai.LengthFinishReasonError as exc:
            return (
                None,
                "the answer was cut off; write shorter prompts",
                _request_id(exc.completion),
            )
        except openai.ContentFilterFinishReasonError as exc:
            why = "the answer was stopped by the content filter; keep every prompt family-friendly"
            return None, why, _request_id(exc.completion)
        except openai.OpenAIError as exc:
            raise provider_error(exc, stage=STAGE) from exc
        trace_id = _request_id(completion)
        if not completion.choices:
            return None, "the answer had no choices", trace_id
        message = completion.choices[0].message
        if message.refusal:
            return None, f"the model refused: {message.refusal}", trace_id
        if message.parsed is None:
            return None, "the answer was empty", trace_id
        return message.parsed, "", trace_id
