"""Small hand-made values for tests that need a digest without running a writer."""

from summarizer.models import QA, Digest, Moment, Section, TranscriptInfo, Video


def sample_digest(video: Video, writer: str = "extractive") -> Digest:
    return Digest(
        video=video,
        transcript=TranscriptInfo(source="captions", segments=2, covered_s=5.0),
        writer=writer,
        hook="A hook.",
        core_question="What is it?",
        highlights=[Moment(text="Héllo “world”, 日本語 too.", start_s=0.0)],
        sections=[
            Section(
                title="One",
                start_s=0,
                end_s=5,
                summary="Sum.",
                quote=Moment(text="Second line.", start_s=2.5),
                deeper=[QA(question="Q?", answer="A.", start_s=2.5)],
            )
        ],
        takeaways=["Take it."],
        qa=[QA(question="Why?", answer="Because.")],
        reading_minutes=0.1,
        watch_minutes=1.5,
        saved_minutes=1,
    )
