"""Swedish and German patterns for sensitive topics and requests for a person.

The messages are written for these tests, apart from the classifier's examples and the
evaluation sets, in the registers customers use in a payments company's chat.
"""

import pytest

from tickets.assistant.sensitive import sensitive_by_pattern
from tickets.assistant.triggers import asks_for_a_person

SENSITIVE = {
    "lost_or_stolen": [
        ("sv", "Jag har tappat bort mitt kort på stan"),
        ("sv", "Jag har förlorat min plånbok med alla kort"),
        ("sv", "Mitt bankkort är stulet, spärra det!"),
        ("sv", "Någon snodde min mobil på tåget"),
        ("sv", "Jag blev rånad i går kväll"),
        ("sv", "En ficktjuv tog min plånbok i tunnelbanan"),
        ("sv", "Plånboken är borta, kan ni spärra kortet?"),
        ("de", "Ich habe meine Kreditkarte verloren"),
        ("de", "Meine Geldbörse wurde gestohlen"),
        ("de", "Mein Handy wurde geklaut, die App ist noch offen"),
        ("de", "Ein Taschendieb hat mir das Portemonnaie abgenommen"),
        ("de", "Meine EC-Karte ist weg"),
        ("de", "Ich finde meine Karte nicht mehr"),
        ("de", "Ich wurde gestern Abend ausgeraubt"),
    ],
    "unrecognised_payment": [
        ("sv", "Jag känner inte igen den här dragningen på 499 kr"),
        ("sv", "Det finns ett köp på mitt konto som jag inte har gjort"),
        ("sv", "Okänd debitering från en butik i Kina"),
        ("sv", "Pengar drogs utan mitt godkännande"),
        ("sv", "Jag har aldrig handlat hos dem"),
        ("de", "Ich erkenne diese Abbuchung nicht"),
        ("de", "Unbekannte Lastschrift über 79 Euro auf meinem Konto"),
        ("de", "Da ist eine Zahlung, die ich nicht getätigt habe"),
        ("de", "Das habe ich nie bestellt"),
        ("de", "Es wurde ohne meine Zustimmung Geld abgebucht"),
    ],
    "account_compromised": [
        ("sv", "Mitt konto är hackat"),
        ("sv", "Någon har loggat in på mitt konto"),
        ("sv", "Mitt lösenord har ändrats och det var inte jag"),
        ("sv", "Jag får koder som jag inte har bett om"),
        ("sv", "Mitt konto har kapats"),
        ("de", "Mein Konto wurde gehackt"),
        ("de", "Jemand hat sich in mein Konto eingeloggt"),
        ("de", "Mein Passwort wurde geändert, das war ich nicht"),
        ("de", "Ich bekomme Codes, die ich nicht angefordert habe"),
        ("de", "Unbefugter Zugriff auf mein Konto!"),
    ],
    "fraud_or_scam": [
        ("sv", "Jag tror jag har blivit utsatt för bedrägeri"),
        ("sv", "En bedragare ringde och utgav sig för att vara från banken"),
        ("sv", "Jag blev lurad av en bluffsida"),
        ("sv", "Jag fick ett nätfiske-mejl i ert namn"),
        ("sv", "Är detta kortbedrägeri?"),
        ("de", "Ich bin Opfer von Betrug geworden"),
        ("de", "Das ist Kreditkartenbetrug!"),
        ("de", "Ein Betrüger hat mich angerufen"),
        ("de", "Der Shop war reine Abzocke"),
        ("de", "Ich habe eine Phishing-Mail bekommen"),
        ("de", "Jemand hat sich als Acme-Mitarbeiter ausgegeben"),
    ],
    "threat_of_harm": [
        ("sv", "Jag tänker på självmord"),
        ("sv", "Jag vill ta livet av mig"),
        ("sv", "Jag vill inte leva längre"),
        ("sv", "Mitt ex hotar att skada mig"),
        ("de", "Ich denke an Selbstmord"),
        ("de", "Ich will mich umbringen"),
        ("de", "Wenn das so weitergeht, bringe ich mich um"),
        ("de", "dann bring ich mich halt um"),
        ("de", "Ich werde mir etwas antun"),
        ("de", "Ich habe seit Wochen Suizidgedanken"),
        ("de", "Mein Mann schlägt mich und nimmt mein Geld"),
    ],
    "bereavement": [
        ("sv", "Min pappa har dött och jag vill avsluta hans konto"),
        ("sv", "Min mamma gick bort förra veckan"),
        ("sv", "Jag företräder dödsboet efter min far"),
        ("sv", "Kontoinnehavaren är avliden"),
        ("de", "Mein Vater ist gestorben"),
        ("de", "Meine Mutter ist letzte Woche verstorben"),
        ("de", "Es geht um einen Todesfall in der Familie"),
        ("de", "Ich kümmere mich um den Nachlass meines Onkels"),
    ],
    "financial_hardship": [
        ("sv", "Jag är arbetslös och vet inte hur jag ska klara fakturan"),
        ("sv", "Jag har blivit uppsagd"),
        ("sv", "Jag har inte råd att betala just nu"),
        ("sv", "Pengarna räcker inte till räkningarna"),
        ("sv", "Jag har förlorat mitt jobb"),
        ("de", "Ich bin arbeitslos"),
        ("de", "Mir wurde gekündigt und ich weiß nicht, wie ich zahlen soll"),
        ("de", "Ich kann die Rate nicht mehr bezahlen"),
        ("de", "Ich habe Schulden und brauche Aufschub"),
        ("de", "Ich bin in finanziellen Schwierigkeiten"),
    ],
    "complaint": [
        ("sv", "Jag vill lämna ett klagomål"),
        ("sv", "Jag kommer att anmäla er till ARN"),
        ("sv", "Jag tänker klaga hos Konsumentverket"),
        ("sv", "Jag vill göra en anmälan till Finansinspektionen"),
        ("de", "Ich möchte eine Beschwerde einreichen"),
        ("de", "Ich werde mich bei der BaFin beschweren"),
        ("de", "Ich wende mich an die Schlichtungsstelle"),
        ("de", "Ich werde rechtliche Schritte einleiten"),
    ],
}

# Routine questions with the words of sensitive ones: a lost invoice, freezing a card, a
# later payment, a cancelled subscription, "betrug" as the past of "betragen".
ROUTINE = [
    ("de", "Der Lärm bringt mich um den Schlaf"),
    ("sv", "Hur fryser jag mitt kort?"),
    ("sv", "Hur spärrar jag mitt kort?"),
    ("sv", "Jag har tappat bort min faktura"),
    ("sv", "Kan jag skjuta upp betalningen?"),
    ("sv", "Jag hittar inte kortet i appen"),
    ("sv", "Appen hackar när jag öppnar den"),
    ("sv", "Jag lurar på hur man byter adress"),
    ("sv", "Mobilen har dött, hur loggar jag in?"),
    ("sv", "Varför kan jag inte betala med kort?"),
    ("sv", "Jag har aldrig beställt förut, hur gör jag?"),
    ("sv", "Hur anmäler jag flytt?"),
    ("sv", "Jag har glömt mitt lösenord"),
    ("sv", "Hur säger jag upp mitt abonnemang?"),
    ("de", "Wie sperre ich meine Karte vorübergehend?"),
    ("de", "Ich habe meine Rechnung verloren"),
    ("de", "Kann ich die Zahlung verschieben?"),
    ("de", "Mein Passwort vergessen"),
    ("de", "Der Betrag betrug 50 Euro, ist das richtig?"),
    ("de", "Die Kosten betrugen 30 Euro"),
    ("de", "Kann ich einen Nachlass bekommen?"),
    ("de", "Mein Handy ist gestorben, wie logge ich mich ein?"),
    ("de", "Ich habe mein Abo gekündigt"),
    ("de", "Warum kann ich nicht mit PayPal bezahlen?"),
    ("de", "Ich habe kein Geld zurückbekommen"),
    ("de", "Ich habe noch nie bei euch bestellt, wie geht das?"),
    ("de", "Die Karte ist aus der App verschwunden"),
    ("de", "Meine Zahlung wurde nicht autorisiert, warum?"),
    ("de", "Mein Akku ist tot"),
]

ASKS_FOR_A_PERSON = [
    ("sv", "Jag vill prata med en människa"),
    ("sv", "Kan jag få prata med en handläggare?"),
    ("sv", "Koppla mig till kundtjänst"),
    ("sv", "Finns det en riktig person där?"),
    ("sv", "Jag vill inte prata med en robot"),
    ("sv", "Kan ni ringa mig?"),
    ("de", "Ich möchte mit einem Menschen sprechen"),
    ("de", "Kann ich mit einem Mitarbeiter reden?"),
    ("de", "Verbinden Sie mich bitte mit einem Mitarbeiter"),
    ("de", "Ich will keinen Bot"),
    ("de", "Bitte rufen Sie mich zurück"),
    ("de", "Ich brauche einen echten Ansprechpartner"),
]

NOT_ASKING_FOR_A_PERSON = [
    ("sv", "Hur byter jag pinkod?"),
    ("sv", "Jag vill inte bli kontaktad av er"),
    ("de", "Ich möchte meinen Mitarbeitern Karten geben"),
    ("de", "Wie logge ich mich in mein Konto ein?"),
]


@pytest.mark.parametrize(
    ("topic", "language", "message"),
    [
        pytest.param(topic, language, message, id=f"{language} {message}")
        for topic, messages in SENSITIVE.items()
        for language, message in messages
    ],
)
def test_a_swedish_or_german_sensitive_message_is_caught_by_its_topics_pattern(
    topic: str, language: str, message: str
) -> None:
    found = sensitive_by_pattern(message)

    assert found is not None
    assert found.name == topic


def test_every_topic_has_three_messages_or_more_in_each_language() -> None:
    for messages in SENSITIVE.values():
        for language in ("sv", "de"):
            assert sum(1 for lang, _ in messages if lang == language) >= 3


@pytest.mark.parametrize(
    ("language", "message"),
    [pytest.param(language, message, id=f"{language} {message}") for language, message in ROUTINE],
)
def test_a_routine_look_alike_in_swedish_or_german_matches_no_pattern(
    language: str, message: str
) -> None:
    assert sensitive_by_pattern(message) is None
    assert not asks_for_a_person(message)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        pytest.param(language, message, id=f"{language} {message}")
        for language, message in ASKS_FOR_A_PERSON
    ],
)
def test_a_request_for_a_person_in_swedish_or_german_is_recognised_by_pattern(
    language: str, message: str
) -> None:
    assert asks_for_a_person(message)
    assert sensitive_by_pattern(message) is None


@pytest.mark.parametrize(
    ("language", "message"),
    [
        pytest.param(language, message, id=f"{language} {message}")
        for language, message in NOT_ASKING_FOR_A_PERSON
    ],
)
def test_a_swedish_or_german_message_about_people_is_not_a_request_for_one(
    language: str, message: str
) -> None:
    assert not asks_for_a_person(message)
