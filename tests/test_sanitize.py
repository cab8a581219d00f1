from summarizer.models import Answer, Citation
from summarizer.sanitize import defang, defang_model


def test_mass_and_direct_mentions_are_defused_on_both_platforms():
    text = "Hey @everyone and @here, <!channel> <!here|here> <!subteam^S012AB|@devs> <@U123ABC> <@!42> <@&77> <@U9|bob>"
    assert defang(text) == "Hey everyone and here, channel here @devs someone someone someone bob"
    assert "@everyone" not in defang("@Everyone") and defang("mail me at a@b.org") == "mail me at a@b.org"


def test_every_text_field_is_defused_but_links_stay():
    answer = Answer(
        question="@here?",
        answer="Ask <!channel>",
        grounded=True,
        citations=[Citation(start_s=1, end_s=2, text="@everyone listen", url="https://x/@here")],
    )
    clean = defang_model(answer)
    assert clean.question == "here?" and clean.answer == "Ask channel"
    assert clean.citations[0].text == "everyone listen" and clean.citations[0].url == "https://x/@here"
