"""Stories in any language (issue 16): nothing dropped, the language detected and carried in the
plan, the offline narration spoken in that language's espeak-ng voice, names that keep their
letters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storyreel.assembly.probe import probe
from storyreel.language import (
    detect_language,
    espeak_voice,
    is_rtl,
    join_text,
    language_boost,
    normalize_language,
    slug,
)
from storyreel.plan import Plan
from storyreel.providers.offline.planner import build_plan, split_sentences, split_title
from storyreel.providers.offline.speech import OfflineSpeechGen

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# language -> the espeak-ng voice that speaks it
VOICES = {"zh": "cmn", "ar": "ar", "ru": "ru", "es": "es", "en": "en-us"}
# Sentence ends of every script, as a reader sees them (the test's own rule, not the planner's).
_END = re.compile(r"(?<=[.!?\u061f\u3002\uff01\uff1f])\s*")


def sentences_of(body: str) -> list[str]:
    return [s.strip() for s in _END.split(" ".join(body.split())) if s.strip()]


def story(language: str) -> str:
    name = "lighthouse.txt" if language == "en" else f"lighthouse.{language}.txt"
    return (EXAMPLES / name).read_text(encoding="utf-8")


def spoken(plan: Plan) -> str:
    text = ""
    for segment in plan.segments:
        text = join_text(text, segment.narration)
    return text


@pytest.mark.parametrize("language", sorted(VOICES))
def test_every_sentence_is_narrated_in_the_storys_voice(language: str) -> None:
    text = story(language)
    plan = build_plan(text)
    _title, body = split_title(text)

    assert plan.language == language
    everything = spoken(plan)
    missing = [s for s in sentences_of(body) if " ".join(s.split()) not in everything]
    assert not missing, f"{language}: not narrated: {missing}"
    # Nothing dropped and nothing added, character for character (spaces aside).
    assert re.sub(r"\s", "", everything) == re.sub(r"\s", "", body)
    assert OfflineSpeechGen().voice_for(plan.language) == VOICES[language]
    assert language_boost(plan.language) is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # CJK marks end sentences with no space after them.
        ("从前有一座灯塔。灯塔上住着一位老人！他每天都点灯？是的。",
         ["从前有一座灯塔。", "灯塔上住着一位老人！", "他每天都点灯？", "是的。"]),
        ("هل كان الحارس وحيدا؟ لا، كان معه قط.", ["هل كان الحارس وحيدا؟", "لا، كان معه قط."]),
        ("Жил-был смотритель. Он зажигал маяк.", ["Жил-был смотритель.", "Он зажигал маяк."]),
        ("¿Dónde está el faro? ¡Allí, en la isla!", ["¿Dónde está el faro?", "¡Allí, en la isla!"]),
        # A Chinese sentence inside an English paragraph is kept (it was dropped).
        ("The keeper lit the lamp. 他每天晚上都点灯。 Then he slept.",
         ["The keeper lit the lamp.", "他每天晚上都点灯。", "Then he slept."]),
    ],
)  # fmt: skip
def test_sentences_of_every_script(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    "text",
    ["灯塔上住着一位老人。", "كان هناك منارة على الجزيرة.", "Жил-был смотритель маяка."],
)
def test_a_story_without_latin_letters_has_words_to_narrate(text: str) -> None:
    plan = build_plan(text)
    assert [s.narration for s in plan.segments] == [text]


def test_a_two_sentence_russian_story_keeps_both() -> None:
    text = "Жил-был старый смотритель маяка. Каждый вечер он зажигал огонь."
    assert spoken(build_plan(text)) == text


def test_a_long_chinese_sentence_is_cut_between_characters_not_lost() -> None:
    text = "老人" + "慢慢地走上了长长的楼梯" * 8 + "。"
    plan = build_plan(text)
    assert len(plan.segments) > 1
    assert spoken(plan) == text
    assert all(" " not in s.narration for s in plan.segments)


def test_exact_segment_counts_work_for_chinese() -> None:
    plan = build_plan(story("zh"), segments=8)
    assert len(plan.segments) == 8
    assert re.sub(r"\s", "", spoken(plan)) == re.sub(r"\s", "", split_title(story("zh"))[1])


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("从前有一座灯塔，灯塔上住着一位老人。", "zh"),
        ("كان هناك منارة على جزيرة صخرية عند حافة البحر.", "ar"),
        ("Жил-был старый смотритель маяка на скалистом острове.", "ru"),
        ("Había una vez un niño que vivía junto al mar.", "es"),
        ("Once upon a time a keeper tended the lighthouse.", "en"),
        ("むかしむかし、灯台に老人が住んでいました。", "ja"),
        ("12345 !!!", "en"),
    ],
)
def test_the_language_is_detected(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_a_given_language_wins_and_is_normalised() -> None:
    plan = build_plan("Once upon a time.", language="es")
    assert plan.language == "es"
    assert normalize_language(" zh_CN ") == "zh-cn"
    for bad in ("Klingon!!", "x" * 30, "", "e"):
        with pytest.raises(ValueError, match="not a language code"):
            normalize_language(bad)


@pytest.mark.parametrize(
    ("language", "voice"),
    [("zh", "cmn"), ("zh-cn", "cmn"), ("zh-hk", "yue"), ("ar", "ar"), ("ru", "ru"), ("es", "es"),
     ("es-419", "es-419"), ("en", "en-us"), ("pt-br", "pt-br"), ("xx", "en-us"), (None, "en-us")],
)  # fmt: skip
def test_espeak_voice_per_language(language: str | None, voice: str) -> None:
    assert espeak_voice(language) == voice


def test_an_explicit_offline_voice_wins() -> None:
    assert OfflineSpeechGen(voice="es").voice_for("ru") == "es"


@pytest.mark.slow
async def test_russian_is_spoken_by_the_russian_voice_not_spelled_in_english(
    tmp_path: Path,
) -> None:
    text = "Каждый вечер он зажигал огонь на маяке."
    gen = OfflineSpeechGen()
    russian = probe(await gen.speak(text, out=tmp_path / "ru.wav", language="ru")).duration
    english = probe(await gen.speak(text, out=tmp_path / "en.wav", language="en")).duration
    assert 0.5 < russian < english  # the English voice spells Cyrillic letter by letter


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Había una vez un niño que vivía junto al mar", "había-una-vez-un-niño"),
        ("从前有一座灯塔。", "从前有一座灯塔"),
        ("Жил-был смотритель", "жил-был-смотритель"),
        ("../../etc/passwd", "etc-passwd"),
        ("!!!", "story"),
    ],
)
def test_names_keep_their_letters(text: str, name: str) -> None:
    assert slug(text) == name


def test_titles_keep_their_letters() -> None:
    assert build_plan("Había una vez un niño que vivía junto al mar.").title == (
        "Había una vez un niño que"
    )
    assert build_plan(story("zh")).title == "最后的灯塔守护人"
    assert (
        build_plan("从前有一座灯塔，灯塔上住着一位老人。").title
        == "从前有一座灯塔，灯塔上住着一位老人"[:16]
    )


def test_right_to_left_is_recognised() -> None:
    assert is_rtl("كان هناك منارة") and not is_rtl("Mara lit the lamp")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "language", "voice"),
    [
        ("هل كان الحارس وحيدا؟ لا، كان معه قط صغير.", "ar", "ar"),
        ("灯塔上住着一位老人。他每天晚上都点灯！", "zh", "cmn"),
    ],
)
async def test_offline_video_speaks_every_sentence_in_the_languages_voice(
    tmp_path: Path, text: str, language: str, voice: str
) -> None:
    import json

    import srt

    from storyreel.config import Settings
    from storyreel.pipeline.orchestrator import Pipeline, RenderOptions
    from storyreel.providers.factory import STAGES, build_providers

    offline = dict.fromkeys(STAGES, "offline")
    async with build_providers(Settings(), overrides=offline) as providers:
        pipeline = Pipeline(providers, tmp_path, options=RenderOptions(resolution="720P"))
        result = await pipeline.make(text)

    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert (manifest["language"], manifest["voice"]) == (language, voice)
    info = probe(result.video)
    assert info.video is not None and info.audio is not None and info.duration > 1
    assert result.subtitles is not None
    cues = "".join(
        c.content.replace("\n", "") for c in srt.parse(result.subtitles.read_text(encoding="utf-8"))
    )
    for sentence in sentences_of(text):
        assert sentence.replace(" ", "") in cues.replace(" ", "")


def test_voice_is_honoured_offline_as_an_espeak_voice() -> None:
    from storyreel.config import Settings
    from storyreel.errors import ConfigError
    from storyreel.pipeline.jobs import JobOptions
    from storyreel.providers.factory import STAGES, build_providers

    assert JobOptions(voice_id="es").voice_id == "es"  # not refused as a MiniMax voice id
    offline = dict.fromkeys(STAGES, "offline")
    speech = build_providers(Settings(voice_id="es"), overrides=offline).speech
    assert isinstance(speech, OfflineSpeechGen) and speech.voice_for("ru") == "es"
    # A MiniMax voice id means nothing to espeak-ng: the plan's language picks the voice.
    speech = build_providers(Settings(voice_id="MyNarrator01"), overrides=offline).speech
    assert isinstance(speech, OfflineSpeechGen) and speech.voice_for("ru") == "ru"
    with pytest.raises(ConfigError, match="espeak-ng has no voice 'xx'"):
        build_providers(Settings(voice_id="xx"), overrides=offline)


def test_threads_detecting_at_once_load_the_model_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker detects in several threads at once; each load is about a CPU second.
    import threading

    import py3langid.langid as langid

    from storyreel import language

    loads: list[int] = []
    load = langid._load_identifier

    def counted(*args: object, **kwargs: object) -> object:
        loads.append(1)
        return load(*args, **kwargs)

    monkeypatch.setattr(langid, "_load_identifier", counted)
    monkeypatch.setattr(langid, "IDENTIFIER", None)  # as in a fresh process
    language._classify.cache_clear()
    start = threading.Barrier(4)

    def detect() -> None:
        start.wait()
        assert detect_language("The keeper climbs the stairs every night.") == "en"

    threads = [threading.Thread(target=detect) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1
