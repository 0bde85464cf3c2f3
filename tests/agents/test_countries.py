"""Country names come from django-countries and follow the viewer's language."""

from django.utils import translation

from agents.countries import country_choices, country_name, is_country_code
from portal.forms import AgentApplicationForm


def test_a_country_code_is_named_in_english_by_default():
    assert country_name("JP") == "Japan"


def test_a_country_is_named_in_the_active_language():
    with translation.override("de"):
        assert country_name("DE") == "Deutschland"
    with translation.override("ja"):
        assert country_name("JP") == "日本"


def test_an_unknown_code_is_shown_as_it_is():
    assert country_name("QQ") == "QQ"


def test_only_iso_codes_are_country_codes():
    assert is_country_code("SE")
    assert not is_country_code("QQ")
    assert not is_country_code("")


def test_the_choices_start_with_a_blank_then_every_country():
    choices = country_choices()
    assert choices[0][0] == ""
    assert len(choices) > 240
    assert ("SE", "Sweden") in choices


def test_the_choices_are_sorted_by_the_translated_name_ignoring_accents():
    with translation.override("fr"):
        names = [name for code, name in country_choices()[1:]]
    # "Égypte" sorts among the E's in French, not after "Zimbabwe".
    assert names.index("Égypte") < names.index("Érythrée") < names.index("Espagne")
    assert names.index("Égypte") > names.index("Dominique")


def test_the_apply_forms_country_select_follows_the_active_language():
    with translation.override("es"):
        field = AgentApplicationForm().fields["country"]
        assert ("ES", "España") in list(field.choices)
