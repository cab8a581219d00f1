"""Store keys of videos whose link itself grants access: the key must carry what grants it.

A digest, its transcript and the secret URL are stored under the video's key and served to anyone
whose link gives the same key, so a key that drops an access token would hand an unlisted video to
whoever knows its public id.
"""

from __future__ import annotations

import pytest

from summarizer.errors import NotAVideoLink
from summarizer.links import canonical_url, deep_link, video_key

UNLISTED = [
    "https://vimeo.com/76979871/8272103f6e",
    "https://www.vimeo.com/76979871/8272103f6e?share=copy",
    "https://player.vimeo.com/video/76979871?h=8272103f6e",
    "https://player.vimeo.com/video/76979871?h=8272103f6e&badge=0&autopause=0",
    "https://vimeo.com/76979871?h=8272103f6e",
    "https://vimeo.com/manage/videos/76979871/8272103f6e",
]


@pytest.mark.parametrize("url", UNLISTED)
def test_every_spelling_of_an_unlisted_vimeo_video_names_it_with_its_hash(url: str) -> None:
    assert video_key(url) == "vimeo:76979871:8272103f6e"
    assert canonical_url(url) == "https://vimeo.com/76979871/8272103f6e"
    assert deep_link(url, 61) == "https://vimeo.com/76979871/8272103f6e#t=61s"


def test_a_public_link_never_names_an_unlisted_video() -> None:
    public = video_key("https://vimeo.com/76979871")
    assert public == "vimeo:76979871"
    assert public != video_key("https://vimeo.com/76979871/8272103f6e")
    # Another hash is another grant: neither may read what the other summarised.
    assert video_key("https://vimeo.com/76979871/0000aaaa11") != video_key("https://vimeo.com/76979871/8272103f6e")


@pytest.mark.parametrize("h", ["../../x", "a" * 200, "8272103f6e/extra", "<script>"])
def test_a_damaged_vimeo_hash_is_refused_rather_than_keyed_or_fetched(h: str) -> None:
    with pytest.raises(NotAVideoLink, match="hash"):
        video_key(f"https://player.vimeo.com/video/76979871?h={h}")


@pytest.mark.parametrize(
    ("with_token", "other"),
    [
        ("https://example.com/share/talk.mp4?token=s3cr3t", "https://example.com/share/talk.mp4"),
        ("https://example.com/share/talk.mp4?token=s3cr3t", "https://example.com/share/talk.mp4?token=guess"),
        ("https://drive.example.com/file/d/abc/view?resourcekey=0-XyZ", "https://drive.example.com/file/d/abc/view"),
        (
            "https://www.dropbox.com/scl/fi/abc/talk.mp4?rlkey=k1&dl=0",
            "https://www.dropbox.com/scl/fi/abc/talk.mp4?dl=0",
        ),
        ("https://www.loom.com/share/abc?sid=9f1", "https://www.loom.com/share/abc"),
        (
            "https://cdn.example.com/talk.mp4?Expires=1&Signature=x&Key-Pair-Id=K",
            "https://cdn.example.com/talk.mp4?Expires=1&Signature=y&Key-Pair-Id=K",
        ),
        ("https://ana:pw@example.com/talk.mp4", "https://example.com/talk.mp4"),
    ],
)
def test_other_sites_keep_their_share_tokens_in_the_key(with_token: str, other: str) -> None:
    assert video_key(with_token) != video_key(other)
    # ...and the token in the URL fetched, or the fetch would not be the video the key names.
    assert canonical_url(with_token) != canonical_url(other)


def test_tracking_noise_still_does_not_split_a_shared_link() -> None:
    shared = "https://example.com/share/talk.mp4?token=s3cr3t"
    assert video_key(shared + "&utm_source=slack&fbclid=x") == video_key(shared)


def test_youtube_unlisted_videos_are_addressed_by_their_id_alone() -> None:
    assert video_key("https://youtu.be/dQw4w9WgXcQ?si=share-tracking") == "youtube:dQw4w9WgXcQ"
