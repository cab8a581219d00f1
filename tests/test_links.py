"""Links in chat text, and one key per video however the link was spelled."""

from __future__ import annotations

import hashlib

import pytest

from summarizer.errors import BadInput, NotAVideoLink
from summarizer.links import canonical_url, deep_link, video_key

RICK = "dQw4w9WgXcQ"
DASHED = "a-B_c1D2e3F"  # ids use "-" and "_" too, and may end in either

YOUTUBE_SPELLINGS = [
    f"https://www.youtube.com/watch?v={RICK}",
    f"https://youtube.com/watch?v={RICK}",
    f"http://www.youtube.com/watch?v={RICK}",
    f"https://WWW.YouTube.com/watch?v={RICK}",
    f"https://m.youtube.com/watch?v={RICK}&feature=share",
    f"https://music.youtube.com/watch?v={RICK}&si=AbCdEf",
    f"https://www.youtube.com/watch?v={RICK}&list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI&index=3",
    f"https://www.youtube.com/watch?feature=player_embedded&v={RICK}",
    f"https://www.youtube.com/watch?app=desktop&v={RICK}&pp=ygUEcmljaw%3D%3D",
    f"https://www.youtube.com/watch?v={RICK}&t=1m2s",
    f"https://www.youtube.com/watch?v={RICK}#t=30",
    f"https://youtu.be/{RICK}",
    f"https://youtu.be/{RICK}/",
    f"https://youtu.be/{RICK}?si=2xEy0Df1aBcDeFgH&t=42",
    f"http://youtu.be/{RICK}?feature=shared",
    f"https://www.youtube.com/shorts/{RICK}",
    f"https://youtube.com/shorts/{RICK}?feature=share",
    f"https://www.youtube.com/embed/{RICK}?start=30&autoplay=1",
    f"https://www.youtube-nocookie.com/embed/{RICK}?rel=0",
    f"https://youtube-nocookie.com/embed/{RICK}",
    f"https://www.youtube.com/live/{RICK}?si=Xyz",
    f"https://www.youtube.com/v/{RICK}?version=3",
    f"https://www.youtube.com/e/{RICK}",
    f"  https://youtu.be/{RICK}  ",
    f"https://youtu.be/{RICK}&t=10",  # "&" typed where "?" belongs
]


@pytest.mark.parametrize("url", YOUTUBE_SPELLINGS)
def test_every_youtube_spelling_names_one_video(url: str) -> None:
    assert video_key(url) == f"youtube:{RICK}"
    assert canonical_url(url) == f"https://www.youtube.com/watch?v={RICK}"


def test_youtube_ids_keep_their_case_dashes_and_underscores() -> None:
    assert video_key(f"https://youtu.be/{DASHED}") == f"youtube:{DASHED}"
    assert video_key(f"https://www.youtube.com/shorts/{DASHED}?x=1") == f"youtube:{DASHED}"
    assert video_key("https://youtu.be/dQw4w9WgXcq") != video_key(f"https://youtu.be/{RICK}")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://www.youtube.com/@veritasium", "channel"),
        ("https://www.youtube.com/@veritasium/videos", "channel"),
        ("https://www.youtube.com/channel/UCHnyfMqiRRG1u-2MsSQLbXA", "channel"),
        ("https://www.youtube.com/c/veritasium", "channel"),
        ("https://www.youtube.com/user/1veritasium", "channel"),
        ("https://www.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI", "playlist"),
        ("https://www.youtube.com/watch?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI", "playlist"),
        ("https://www.youtube.com/embed/videoseries?list=PLFgquLnL59alCl", "playlist"),
        ("https://music.youtube.com/playlist?list=OLAK5uy_abc", "playlist"),
        ("https://www.youtube.com/", "not a video"),
        ("https://www.youtube.com/results?search_query=sourdough", "not a video"),
        ("https://www.youtube.com/feed/subscriptions", "not a video"),
        ("https://www.youtube.com/watch?v=tooshort", "no valid video id"),
        ("https://www.youtube.com/watch?v=", "not a video"),
        ("https://youtu.be/", "no valid video id"),
        ("https://www.youtube.com/shorts/abc", "no valid video id"),
    ],
)
def test_youtube_pages_that_are_not_one_video_are_refused(url: str, message: str) -> None:
    with pytest.raises(NotAVideoLink, match=message):
        video_key(url)


VIMEO_SPELLINGS = [
    "https://vimeo.com/76979871",
    "https://www.vimeo.com/76979871",
    "http://vimeo.com/76979871?share=copy",
    "https://vimeo.com/76979871#t=30s",
    "https://player.vimeo.com/video/76979871",
    "https://player.vimeo.com/video/76979871?badge=0&autopause=0",
    "https://vimeo.com/channels/staffpicks/76979871",
    "https://vimeo.com/groups/motion/videos/76979871",
    "https://vimeo.com/album/2222/video/76979871",
    "https://vimeo.com/showcase/9876543/video/76979871",
]


@pytest.mark.parametrize("url", VIMEO_SPELLINGS)
def test_every_vimeo_spelling_names_one_video(url: str) -> None:
    assert video_key(url) == "vimeo:76979871"
    assert canonical_url(url) == "https://vimeo.com/76979871"


@pytest.mark.parametrize(
    "url",
    ["https://vimeo.com/76979871/8272103f6e", "https://player.vimeo.com/video/76979871?h=8272103f6e"],
)
def test_unlisted_vimeo_keeps_the_hash_it_cannot_be_fetched_without(url: str) -> None:
    assert video_key(url) == "vimeo:76979871:8272103f6e"  # the hash grants access: see test_video_keys
    assert canonical_url(url) == "https://vimeo.com/76979871/8272103f6e"
    assert deep_link(url, 61) == "https://vimeo.com/76979871/8272103f6e#t=61s"


def test_vimeo_pages_that_are_not_a_video_fall_back_to_a_url_key() -> None:
    assert video_key("https://vimeo.com/staffpicks").startswith("url:")


def url_key(normalised: str) -> str:
    return "url:" + hashlib.sha256(normalised.encode()).hexdigest()[:16]


SAME_TALK = [
    "https://example.com/talks/42.mp4?a=1&b=2",
    "https://EXAMPLE.com/talks/42.mp4?b=2&a=1",
    "HTTPS://example.com:443/talks/42.mp4?a=1&b=2",
    "https://example.com./talks/42.mp4?a=1&b=2",
    "https://example.com/talks/42.mp4?a=1&b=2#chapter-3",
    "https://example.com/talks/42.mp4?utm_source=slack&a=1&utm_medium=chat&b=2",
    "https://example.com/talks/42.mp4?fbclid=IwAR3x&b=2&gclid=Cj0K&a=1&si=zz&ref=hn",
    "https://example.com/talks/42.mp4?a=1&b=2&UTM_Campaign=spring&mc_cid=1&msclkid=2",
]


@pytest.mark.parametrize("url", SAME_TALK)
def test_other_urls_are_keyed_by_their_normalised_form(url: str) -> None:
    normalised = "https://example.com/talks/42.mp4?a=1&b=2"
    assert canonical_url(url) == normalised
    assert video_key(url) == url_key(normalised)


def test_normalisation_keeps_what_changes_the_page() -> None:
    assert canonical_url("http://example.com:8080/v?id=7") == "http://example.com:8080/v?id=7"
    assert canonical_url("http://example.com:80") == "http://example.com/"
    assert canonical_url("https://example.com/Talk?q=a+b&empty=") == "https://example.com/Talk?empty=&q=a+b"
    assert canonical_url("https://[2001:db8::1]:8443/x") == "https://[2001:db8::1]:8443/x"
    keys = {
        video_key("https://example.com/v?id=7"),
        video_key("https://example.com/v?id=8"),
        video_key("http://example.com/v?id=7"),
        video_key("https://example.com/V?id=7"),
    }
    assert len(keys) == 4


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "not a link",
        "/home/ana/talks/keynote.mp4",
        "keynote.mp4",
        "C:\\videos\\keynote.mp4",
        "file:///home/ana/keynote.mp4",
        "ftp://example.com/keynote.mp4",
        "mailto:ana@example.com",
        "javascript:alert(1)",
        "www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://",
        "https://example.com:notaport/x",
    ],
)
def test_what_is_not_a_web_link_is_refused(value: str) -> None:
    with pytest.raises(NotAVideoLink, match="not a web link") as caught:
        video_key(value)
    assert isinstance(caught.value, BadInput)
    with pytest.raises(NotAVideoLink):
        canonical_url(value)


@pytest.mark.parametrize(
    ("url", "seconds", "link"),
    [
        (f"https://youtu.be/{RICK}?si=x&t=5", 83.9, f"https://www.youtube.com/watch?v={RICK}&t=83s"),
        (f"https://www.youtube.com/shorts/{RICK}", 0, f"https://www.youtube.com/watch?v={RICK}&t=0s"),
        (f"https://m.youtube.com/watch?v={RICK}", 3725.2, f"https://www.youtube.com/watch?v={RICK}&t=3725s"),
        ("https://player.vimeo.com/video/76979871", 90, "https://vimeo.com/76979871#t=90s"),
        ("https://example.com/talk.mp4?utm_source=x#old", 61.5, "https://example.com/talk.mp4#t=61"),
        ("https://example.com/talk.mp4", -3, "https://example.com/talk.mp4#t=0"),
        ("/home/ana/talks/keynote.mp4", 12, ""),
        ("keynote.mp4", 12, ""),
        ("https://www.youtube.com/@veritasium", 12, ""),
    ],
)
def test_deep_link(url: str, seconds: float, link: str) -> None:
    assert deep_link(url, seconds) == link
