"""Questions from a sentence's structure (summarizer/questions.py): the ones a listener would ask,
none where the rules cannot build a clean one, and the speaker's announced subject asked back.
How the offline digest uses them is tests/test_offline_digest.py."""

from __future__ import annotations

import re
import time

import pytest

from summarizer.questions import announced, ask


@pytest.mark.parametrize(
    "sentence, wanted",
    [
        ("Langstroth invented the modern hive with wooden frames in 1851.", "When was the modern hive invented?"),
        (
            "Langstroth invented the modern hive with wooden frames in 1851.",
            "Who invented the modern hive with wooden frames?",
        ),
        ("Varroa mites weaken the colony.", "What weakens the colony?"),
        ("The hive stays cool because the workers fan their wings.", None),  # "stays cool": no verb this knows
        ("The hive is cool because the workers fan their wings.", "Why is the hive cool?"),
        ("The queen can lay two thousand eggs in a single day.", "How many eggs can the queen lay in a single day?"),
        ("The tower was more than one hundred meters tall.", "How tall was the tower?"),
        ("The bridge collapsed because the cables were too thin.", "Why did the bridge collapse?"),
        ("In 2019, the team moved the database to the cloud.", "When was the database moved?"),
        (
            "A typical server handles two thousand requests per second.",
            "How many requests does a typical server handle per second?",
        ),
    ],
)
def test_questions_from_sentence_structure(sentence, wanted):
    got = [q.text for q in ask(sentence)]
    assert (wanted in got) if wanted else got == []


@pytest.mark.parametrize(
    "sentence",
    [
        "It costs a tenth of the price.",  # "What costs…?" would need to know what "it" is
        "Most users never change the default settings.",  # "Who changes…?" would say the opposite
        "The rollback didn't fix the errors.",
        "We built it in a week.",
        # "What finds their way…?": the question drops the subject that "their" stands for.
        "Today, most ships find their way with satellites instead of lights.",
        "The old keeper wound up its clockwork every night.",
        "Is that really true?",  # a question already
        "Okay, so let's walk through what happened last Tuesday.",
        "Stir it well, cover it loosely, and leave it on the counter.",
        "Use filtered water if you can, because chlorine in tap water can slow the yeast down.",
        "",
        "!!! ,,, 123 ???",
        "and and and and and the the the of of of.",
    ],
)
def test_no_question_is_better_than_a_bad_one(sentence):
    assert ask(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        (
            "Hi everyone, today I want to show you how I keep a sourdough starter alive.",
            "How do you keep a sourdough starter alive?",
        ),
        ("Okay, so let's walk through what happened last Tuesday.", "What happened last Tuesday?"),
        ("Today I will explain why bees are so important.", "Why are bees so important?"),
        ("Let me tell you how we built our first hive.", "How did you build your first hive?"),
        ("Let me show you how I focus my camera.", "How do you focus your camera?"),  # not "does you focu"
        ("I will explain how the team fixes it.", None),  # "it" is whatever came before
        ("We will look at how they work.", None),
        ("Let me show you how, step by step, I do it.", None),  # a second clause: where it ends is a guess
        ("Welcome to the quarterly capacity review.", None),
        ("Let me show you how " + "the bees make honey and " * 5_000 + "wax.", None),
    ],
)
def test_what_the_speaker_announces_is_asked_back(sentence, question):
    assert announced(sentence) == question


def test_a_huge_sentence_is_read_quickly_and_gives_nothing_odd():
    began = time.perf_counter()
    assert ask("The bees " + "and the wasps " * 20_000 + "make honey.") == []
    assert ask("Bees make " + "honey " * 50_000) == []
    assert time.perf_counter() - began < 1.0


@pytest.mark.parametrize(
    "sentence",
    [
        "Today I want to show you how I keep a **sourdough** starter @everyone alive.",
        "Today I want to show you how I keep a <!channel> starter alive.",
        "Today I want to show you how I keep a `sourdough` starter alive <script>.",
    ],
)
def test_an_announced_question_carries_no_markup_or_mention_from_the_captions(sentence):
    question = announced(sentence)
    assert question is not None and question.startswith("How do you keep a ")
    assert re.fullmatch(r"[A-Za-z0-9' ,-]+\?", question), question
