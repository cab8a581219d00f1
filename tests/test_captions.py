"""Caption parsing against tracks shaped like the ones yt-dlp really downloads."""

from __future__ import annotations

import json

import pytest

from summarizer.captions import MAX_CUES, TooManyCues, caption_format, parse_captions
from summarizer.models import Segment


def triples(segments: list[Segment]) -> list[tuple[float, float, str]]:
    return [(round(s.start, 3), round(s.end, 3), s.text) for s in segments]


def assert_well_formed(segments: list[Segment]) -> None:
    for seg, nxt in zip(segments, segments[1:]):
        assert seg.start <= seg.end <= nxt.start
    assert all(seg.text and seg.text == seg.text.strip() and "  " not in seg.text for seg in segments)


# Shaped like a real YouTube automatic-caption track as yt-dlp writes it (`--write-auto-subs
# --sub-format vtt`): every cue shows the previous line above a new karaoke-timed line, a 10 ms
# transition cue repeats the finished line over a " " line, silence is a " " / " " cue, and
# non-speech appears as "[Music]" rolled in like any other line.
ROLLING_VTT = """WEBVTT
Kind: captions
Language: en

00:00:00.060 --> 00:00:02.270 align:start position:0%
 
hey<00:00:00.359><c> everyone</c><00:00:00.840><c> welcome</c><00:00:01.199><c> back</c><00:00:01.439><c> to</c><00:00:01.560><c> the</c><00:00:01.680><c> channel</c>

00:00:02.270 --> 00:00:02.280 align:start position:0%
hey everyone welcome back to the channel
 

00:00:02.280 --> 00:00:04.789 align:start position:0%
hey everyone welcome back to the channel
today<00:00:02.879><c> we're</c><00:00:03.120><c> going</c><00:00:03.300><c> to</c><00:00:03.419><c> bake</c><00:00:03.600><c> sourdough</c>

00:00:04.789 --> 00:00:04.799 align:start position:0%
today we're going to bake sourdough
 

00:00:04.799 --> 00:00:07.010 align:start position:0%
today we're going to bake sourdough
[Music]

00:00:07.010 --> 00:00:07.020 align:start position:0%
[Music]
 

00:00:07.020 --> 00:00:09.350 align:start position:0%
[Music]
so<00:00:07.500><c> the</c><00:00:07.680><c> first</c><00:00:07.919><c> thing</c><00:00:08.160><c> you</c><00:00:08.280><c> need</c><00:00:08.519><c> is</c><00:00:08.700><c> a</c><00:00:08.820><c> starter</c>

00:00:09.350 --> 00:00:09.360 align:start position:0%
so the first thing you need is a starter
 

00:00:09.360 --> 00:00:11.990 align:start position:0%
so the first thing you need is a starter
and<00:00:09.660><c> it</c><00:00:09.780><c> takes</c><00:00:10.019><c> about</c><00:00:10.260><c> a</c><00:00:10.380><c> week</c>

00:00:11.990 --> 00:00:12.000 align:start position:0%
 
 

00:00:12.000 --> 00:00:14.629 align:start position:0%
 
&gt;&gt;<00:00:12.300><c> is</c><00:00:12.480><c> that</c><00:00:12.660><c> true</c>

00:00:14.629 --> 00:00:14.639 align:start position:0%
&gt;&gt; is that true
 

00:00:14.639 --> 00:00:16.000 align:start position:0%
&gt;&gt; is that true
yes

00:00:16.000 --> 00:00:16.010 align:start position:0%
yes
 

00:00:16.010 --> 00:00:18.500 align:start position:0%
yes
it's<00:00:16.500><c> about</c><00:00:16.800><c> seven</c><00:00:17.100><c> days</c>

"""


def test_rolling_auto_captions_say_each_phrase_once_when_first_shown() -> None:
    segments = parse_captions(ROLLING_VTT, "vtt")

    assert triples(segments) == [
        (0.06, 2.28, "hey everyone welcome back to the channel"),
        (2.28, 4.799, "today we're going to bake sourdough"),
        (7.02, 9.36, "so the first thing you need is a starter"),
        (9.36, 11.99, "and it takes about a week"),
        (12.0, 14.639, "is that true"),
        (14.639, 16.01, "yes"),
        (16.01, 18.5, "it's about seven days"),
    ]
    assert_well_formed(segments)


def test_rolling_auto_captions_lose_and_repeat_no_word() -> None:
    spoken = " ".join(s.text for s in parse_captions(ROLLING_VTT, "vtt")).split()
    assert spoken.count("starter") == 1
    assert spoken.count("sourdough") == 1
    assert len(spoken) == 36


def test_webvtt_with_blocks_ids_settings_tags_and_entities() -> None:
    data = """\ufeffWEBVTT - Kitchen basics, episode 3

STYLE
::cue(.yellow) { color: yellow }

REGION
id:fred width:40% lines:3 regionanchor:0%,100% viewportanchor:10%,90%

NOTE
This file was checked by hand.
It has two lines of notes.

intro
00:01.000 --> 00:04.250 align:start position:0% line:90%
<v Chef Ana>Salt, flour &amp; water
are all you need</v>

2
00:00:04.250 --> 00:00:07.000
<c.yellow>Mix</c> them &gt; knead&nbsp;&nbsp;them <i>gently</i>

NOTE a single-line note between cues

00:00:07.500 --> 00:00:09.000
<v.loud Sam>Is &lt;b&gt; a tag?</v> <00:00:08.100>No&hellip;

01:00:00.000 --> 01:00:02.500
An hour in &#8212; still kneading
"""
    assert triples(parse_captions(data, "vtt")) == [
        (1.0, 4.25, "Salt, flour & water are all you need"),
        (4.25, 7.0, "Mix them > knead them gently"),
        (7.5, 9.0, "Is <b> a tag? No\u2026"),
        (3600.0, 3602.5, "An hour in \u2014 still kneading"),
    ]


def test_srt_with_bom_crlf_tags_and_untidy_blank_lines() -> None:
    data = (
        "\ufeff1\r\n00:00:01,000 --> 00:00:03,500\r\n<i>Welcome to</i>\r\n<b>the show</b>\r\n\r\n\r\n"
        "2\r\n00:00:03,500 --> 00:00:06,000 X1:100 X2:600 Y1:50 Y2:80\r\n"
        '{\\an8}<font color="#ffff00">Tonight: bread</font>\r\n   \r\n'
        "3\r\n00:00:06,250 --> 00:00:08,000\r\nNo blank line follows\r\n"
        "4\r\n00:00:08,000 --> 00:00:09,000\r\nFish &amp; chips\r\n"
    )
    assert triples(parse_captions(data, "srt")) == [
        (1.0, 3.5, "Welcome to the show"),
        (3.5, 6.0, "Tonight: bread"),
        (6.25, 8.0, "No blank line follows"),
        (8.0, 9.0, "Fish & chips"),
    ]


def test_srt_with_lone_carriage_returns_and_short_milliseconds() -> None:
    data = "1\r00:00:00,5 --> 00:00:02,25\rOld Mac line endings\r\r2\r00:00:02,250 --> 00:00:03,000\rstill parse\r"
    assert triples(parse_captions(data, "srt")) == [
        (0.5, 2.25, "Old Mac line endings"),
        (2.25, 3.0, "still parse"),
    ]


# Shaped like YouTube's json3 for automatic captions: a window event with no segs, word segs
# with tOffsetMs, events whose durations overlap the next one, and "\n" aAppend events.
AUTO_JSON3 = {
    "wireMagic": "pb3",
    "pens": [{}],
    "wsWinStyles": [{}, {"mhModeHint": 2, "juJustifCode": 0, "sdScrollDir": 3}],
    "wpWinPositions": [{}, {"apPoint": 6, "ahHorPos": 20, "avVerPos": 100, "rcRows": 2, "ccCols": 40}],
    "events": [
        {"tStartMs": 0, "dDurationMs": 645000, "id": 1, "wpWinPosId": 1, "wsWinStyleId": 1},
        {
            "tStartMs": 40,
            "dDurationMs": 5080,
            "wWinId": 1,
            "segs": [
                {"utf8": "today", "acAsrConf": 0},
                {"utf8": " we're", "tOffsetMs": 240, "acAsrConf": 0},
                {"utf8": " talking", "tOffsetMs": 800, "acAsrConf": 0},
                {"utf8": " about", "tOffsetMs": 1240, "acAsrConf": 0},
            ],
        },
        {"tStartMs": 1670, "dDurationMs": 3450, "wWinId": 1, "aAppend": 1, "segs": [{"utf8": "\n"}]},
        {
            "tStartMs": 1680,
            "dDurationMs": 5120,
            "wWinId": 1,
            "segs": [
                {"utf8": "compilers", "acAsrConf": 0},
                {"utf8": " and", "tOffsetMs": 560, "acAsrConf": 0},
                {"utf8": " parsers", "tOffsetMs": 900, "acAsrConf": 0},
            ],
        },
        {"tStartMs": 5110, "dDurationMs": 1690, "wWinId": 1, "aAppend": 1, "segs": [{"utf8": "\n"}]},
        {"tStartMs": 5120, "dDurationMs": 3000, "wWinId": 1, "segs": [{"utf8": "[Music]"}]},
        {
            "tStartMs": 8120,
            "dDurationMs": 2000,
            "wWinId": 1,
            "segs": [
                {"utf8": "let's", "acAsrConf": 0},
                {"utf8": " start", "tOffsetMs": 300},
            ],
        },
    ],
}


def test_json3_auto_captions() -> None:
    segments = parse_captions(json.dumps(AUTO_JSON3), "json3")
    assert triples(segments) == [
        (0.04, 1.68, "today we're talking about"),
        (1.68, 6.8, "compilers and parsers"),
        (8.12, 10.12, "let's start"),
    ]
    assert_well_formed(segments)


def test_json3_manual_captions_with_line_breaks_and_missing_duration() -> None:
    data = json.dumps(
        {
            "events": [
                {"tStartMs": 210, "dDurationMs": 3830, "segs": [{"utf8": "Hi, I'm Vanessa."}]},
                {"tStartMs": 4040, "dDurationMs": 5090, "segs": [{"utf8": "Good news and\nbad news."}]},
                {"tStartMs": 9130, "segs": [{"utf8": "The end."}]},
                {"tStartMs": 9500, "dDurationMs": 100},
            ]
        }
    )
    assert triples(parse_captions(data, "json3")) == [
        (0.21, 4.04, "Hi, I'm Vanessa."),
        (4.04, 9.13, "Good news and bad news."),
        (9.13, 9.13, "The end."),
    ]


def test_json3_that_is_not_a_caption_document_is_an_error() -> None:
    with pytest.raises(ValueError):
        parse_captions("[1, 2, 3]", "json3")
    with pytest.raises(ValueError):
        parse_captions("<html>429 Too Many Requests</html>", "json3")


def test_sound_markers_dropped_and_lyrics_kept() -> None:
    data = """WEBVTT

00:00.000 --> 00:02.000
[Music]

00:02.000 --> 00:04.000
♪ never gonna give you up ♪

00:04.000 --> 00:06.000
(APPLAUSE)

00:06.000 --> 00:08.000
Thank you [audience laughing] so much

00:08.000 --> 00:09.000
♪♪

00:09.000 --> 00:10.000
[Música]

00:10.000 --> 00:11.000
- [ __ ] that hurt

00:11.000 --> 00:12.000
-
"""
    assert [s.text for s in parse_captions(data, "vtt")] == [
        "never gonna give you up",
        "Thank you so much",
        "- [ __ ] that hurt",
    ]


def test_segments_are_sorted_clipped_and_repeats_merged() -> None:
    data = """WEBVTT

00:00:05.000 --> 00:00:09.000
second

00:00:00.000 --> 00:00:06.000
first, and it overlaps

00:00:09.000 --> 00:00:10.000
again

00:00:10.000 --> 00:00:11.500
again

00:00:12.000 --> 00:00:13.000
left

00:00:12.000 --> 00:00:13.500
right

00:00:14.000 --> 00:00:15.000
   

"""
    segments = parse_captions(data, "vtt")
    assert triples(segments) == [
        (0.0, 5.0, "first, and it overlaps"),
        (5.0, 9.0, "second"),
        (9.0, 11.5, "again"),
        (12.0, 13.5, "left right"),
    ]
    assert_well_formed(segments)


def test_cues_past_the_media_duration_are_dropped_and_the_rest_end_by_it() -> None:
    data = """WEBVTT

00:00:01.000 --> 00:00:04.000
Welcome to the talk.

00:00:58.000 --> 00:01:30.000
Thank you for listening.

00:01:00.500 --> 00:01:02.000
A last word in the final rounded second.

27777:46:40.000 --> 27777:46:41.000
A cue from the far future.
"""
    assert triples(parse_captions(data, "vtt", duration_s=60)) == [
        (1.0, 4.0, "Welcome to the talk."),
        (58.0, 60.5, "Thank you for listening."),
        (60.5, 61.0, "A last word in the final rounded second."),
    ]
    assert len(parse_captions(data, "vtt")) == 4  # with no known duration, nothing to clip to


@pytest.mark.parametrize(
    "fmt, cue",
    [
        ("vtt", "00:00:01.000 --> 00:00:01.001\nbuzz\n\n"),
        ("srt", "1\n00:00:01,000 --> 00:00:01,001\nbuzz\n\n"),
    ],
)
def test_absurdly_many_cues_are_refused(fmt: str, cue: str) -> None:
    header = "WEBVTT\n\n" if fmt == "vtt" else ""
    assert len(parse_captions(header + cue * 100, fmt, max_cues=100)) == 1  # at the cap: fine (and merged)
    with pytest.raises(TooManyCues, match="more than 100 cues"):
        parse_captions(header + cue * 101, fmt, max_cues=100)
    assert MAX_CUES >= 50_000  # four hours of rolling auto-captions stay well inside the default


def test_absurdly_many_json3_events_are_refused() -> None:
    events = [{"tStartMs": i, "dDurationMs": 1, "segs": [{"utf8": "buzz"}]} for i in range(101)]
    with pytest.raises(TooManyCues):
        parse_captions(json.dumps({"events": events}), "json3", max_cues=100)


def test_json3_events_of_the_wrong_shape_are_skipped() -> None:
    events = [
        1,
        "x",
        None,
        {"tStartMs": "soon", "segs": [{"utf8": "string start"}]},
        {"tStartMs": 1000, "segs": "not a list"},
        {"tStartMs": 2000, "segs": [3, {"utf8": "fine"}]},
        {"tStartMs": 3000, "dDurationMs": "long", "segs": [{"utf8": "no length"}]},
    ]
    assert triples(parse_captions(json.dumps({"events": events}), "json3")) == [
        (2.0, 2.0, "fine"),
        (3.0, 3.0, "no length"),
    ]


@pytest.mark.parametrize("fmt", ["vtt", "srt", "json3"])
@pytest.mark.parametrize("data", ["", "   \n", "\ufeff"])
def test_empty_track_gives_no_segments(fmt: str, data: str) -> None:
    assert parse_captions(data, fmt) == []


def test_header_only_tracks_give_no_segments() -> None:
    assert parse_captions("WEBVTT\nKind: captions\nLanguage: en\n\n", "vtt") == []
    assert parse_captions('{"wireMagic": "pb3", "events": []}', "json3") == []


@pytest.mark.parametrize("fmt", ["ttml", "srv3", "", "text"])
def test_unsupported_format_is_refused(fmt: str) -> None:
    with pytest.raises(ValueError, match="unsupported caption format"):
        parse_captions("WEBVTT\n", fmt)


def test_format_name_is_case_insensitive() -> None:
    assert parse_captions("WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n", "VTT")[0].text == "hi"


@pytest.mark.parametrize(
    ("ext", "fmt"),
    [
        ("vtt", "vtt"),
        ("VTT", "vtt"),
        (".vtt", "vtt"),
        ("srt", "srt"),
        ("json3", "json3"),
        ("srv1", None),
        ("srv2", None),
        ("srv3", None),
        ("ttml", None),
        ("ass", None),
        ("", None),
    ],
)
def test_caption_format_claims_only_what_it_parses(ext: str, fmt: str | None) -> None:
    assert caption_format(ext) == fmt
