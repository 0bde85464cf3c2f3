"""Urgent and sensitive problems, which go to a person on the customer's first message.

Two detectors, either of which is enough:

* a nearest-neighbour classifier on sentence embeddings. It compares the message with
  labelled example messages the project ships (data/sensitive_examples.json: per category
  and language, plus "routine" messages that use the same words but are not urgent, such
  as "how do I freeze my card before my trip") and with the help centre's own titles and
  example questions, which are routine by definition. A message is sensitive when its
  closest sensitive examples are close enough, and closer than its closest routine ones by
  a margin. This is what generalises to wordings nobody wrote down.
* patterns for the unmistakable phrasings ("stolen card", "unauthorised charge"), in English,
  Spanish, Swedish and German, which catch them even inside a long message that the
  embedding of the whole message dilutes.

The thresholds were chosen on the tuning part of the evaluation set (docs/assistant.md).
"""

import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tickets.assistant import embeddings
from tickets.assistant.records import Article
from tickets.assistant.topics import (
    ACCOUNT_COMPROMISED,
    BEREAVEMENT,
    COMPLAINT,
    FINANCIAL_HARDSHIP,
    FRAUD_OR_SCAM,
    LOST_OR_STOLEN,
    SENSITIVE_TOPIC_BY_NAME,
    THREAT_OF_HARM,
    UNRECOGNISED_PAYMENT,
    SensitiveTopic,
)
from tickets.assistant.words import fold

EXAMPLES_PATH = Path(__file__).parent / "data" / "sensitive_examples.json"
ROUTINE = "routine"
# Also a category of the examples: not a sensitive topic, but a request for a person in
# words the patterns of tickets.assistant.triggers do not know.
ASKS_FOR_PERSON = "asks_for_person"

# A category's evidence is the mean similarity of its NEAREST closest examples.
NEAREST = 2
# Chosen on the tuning set (docs/assistant.md): the evidence a category needs, and its lead
# over the closest routine messages.
MIN_SIMILARITY = 0.5
MIN_LEAD_OVER_ROUTINE = 0.03
CLASSIFIERS_KEPT = 8

_OBJECT = r"(?:card|credit\s+card|debit\s+card|wallet|purse|phone|mobile|iphone|handbag|bag)"
_PAYMENT = r"(?:charge|transaction|payment|purchase|withdrawal|debit|order|invoice)"
# Swedish and German, folded ("plånbok" is "planbok", "Geldbörse" is "geldborse"). The
# things a customer loses are named, so a lost invoice or password ("tappat bort min
# faktura", "Rechnung verloren") stays routine; "kort" alone also means "short".
_OBJECT_SV = (
    r"(?:(?:bank|kredit|betal|debet|visa|acme)?kort(?:et|en)?|planbok(?:en)?"
    r"|mobil(?:en|telefon(?:en)?)?|telefon(?:en)?|iphone|(?:hand)?vaska(?:n)?|kortfodral(?:et)?)"
)
_OBJECT_DE = (
    r"(?:(?:(?:kredit|bank|debit|ec|giro|visa|master|zahlungs|acme)-?)?karten?|geldborse|geldbeutel"
    r"|portemonnaie|portmonee|brieftasche|handy|smartphone|mobiltelefon|telefon|iphone"
    r"|(?:hand)?tasche|rucksack)"
)
# Compounds too: "kortbetalningen", "Kartenabbuchungen".
_PAYMENT_SV = (
    r"\w*(?:dragning|debitering|betalning|transaktion|kop|belopp|faktura|uttag|bestallning"
    r"|avgift)(?:en|et|ar|arna|er|erna|or|orna|n)?\b"
)
_PAYMENT_DE = (
    r"\w*(?:buchung|zahlung|transaktion|lastschrift|kauf|bestellung|rechnung|abhebung|belastung"
    r"|umsatz|umsatze|betrag|betrage)(?:en|e|s|n)?\b"
)
# The people whose death a customer writes about; "dog" (died) and "tot" (dead) only after
# one of them, as "dog" is English and "mein Akku ist tot" is a flat battery.
_KIN_SV = (
    r"(?:mamma|pappa|mor|far|mormor|morfar|farmor|farfar|make|maka|man|fru|sambo|son|dotter"
    r"|bror|syster|foralder|foraldrar|pojkvan|flickvan|partner|kontoinnehavare(?:n)?)"
)
_KIN_DE = (
    r"(?:mutter|vater|mama|papa|mann|ehemann|frau|ehefrau|partner(?:in)?|sohn|tochter|bruder"
    r"|schwester|oma|opa|gro(?:ss|ß)(?:mutter|vater)|eltern|lebensgefahrt(?:e|in)|freund(?:in)?"
    r"|angehorige[rn]?|(?:konto)?inhaber(?:in)?|kunde|kundin)"
)
_PATTERNS: tuple[tuple[SensitiveTopic, str], ...] = (
    (
        LOST_OR_STOLEN,
        rf"\b(?:lost|misplaced|dropped|can'?t\s+find|cannot\s+find|left)\s+(?:my|our|the)\s+"
        rf"(?:\w+\s+)?{_OBJECT}\b(?!\s+(?:number|password|pin\s+reminder))"
        rf"|\b{_OBJECT}\s+(?:is|was|were|has\s+been|got|have\s+been)\s+"
        r"(?:lost|stolen|missing|nicked|taken|gone)\b"
        rf"|\b(?:stole|stolen|nicked|pinched|snatched|robbed|pickpocket\w*|mugged)\b"
        r"|\b(?:perdi|he\s+perdido|extravie)\s+(?:mi|la)\s+(?:tarjeta|cartera|movil|telefono)\b"
        r"|\b(?:tarjeta|cartera|movil|telefono)\s+(?:robad[oa]|perdid[oa])\b"
        r"|\b(?:me\s+)?(?:robaron|han\s+robado)\b"
        # Swedish: "tappat bort mitt kort", "kortet är borta", "blev rånad", "ficktjuv"
        r"|\b(?:tappat|tappade|tappa|forlorat|forlorade|forlora|blivit\s+av\s+med|blev\s+av\s+med"
        r"|hittar\s+inte|kan\s+inte\s+hitta|glomt\s+kvar|glomde\s+kvar|lamnat\s+kvar"
        r"|lamnade\s+kvar)\s+(?:bort\s+)?(?:(?:mitt|min|mina|vart|var|vara)\s+)?(?:\w+\s+)?"
        # not "hittar inte kortet i appen", "hittar inte var kortet ska aktiveras"
        rf"{_OBJECT_SV}\b(?!\s+(?:i\s+appen|pa\s+sidan|i\s+listan|under|bland|ska|kan|nummer))"
        r"|\b(?:glomt|glomde|lamnat|lamnade)\s+(?:mitt|min"
        rf"|mina)\s+(?:\w+\s+)?{_OBJECT_SV}\s+kvar\b"
        rf"|\b{_OBJECT_SV}\s+(?:ar|var|har|har\s+blivit|blev)\s+(?:\w+\s+)?(?:borta|forsvunn\w*"
        r"|stulen|stulet|stulna|stulits|snott|snodd|tappad|tappat|borttappa\w*|forlorad|forlorat)\b"
        rf"|\b{_OBJECT_SV}\s+(?:har\s+)?(?:kom|kommit)\s+bort\b"
        rf"|\b{_OBJECT_SV}\s+(?:har\s+)?(?:forsvann|forsvunnit|blev\s+kvar|har\s+blivit\s+kvar)\b"
        rf"|\bnagon\s+(?:har\s+)?(?:tagit|tog|snott|snodde)\s+(?:mitt|min|mina)\s+{_OBJECT_SV}\b"
        rf"|\b(?:glomde|glomt)\s+(?:(?:mitt|min|mina)\s+)?{_OBJECT_SV}\s+(?:pa|i|hos)\s+"
        r"(?!(?:hemma|jobbet)\b)"
        rf"|\b(?:slukade|slukat|behoill|beholl|behallit)\s+(?:(?:mitt|min)\s+)?{_OBJECT_SV}\b"
        r"|\b(?:stulen|stulet|stulna|stulits|stals|stal|stjal|snodde|snott|snodd|snodda|ranad"
        r"|ranade|ranat|ranats|ranades|ranet|stold|stolden|stoldanmalan|inbrott|fickstold\w*"
        r"|ficktjuv\w*)\b"
        r"|\butsatt\s+for\s+(?:ett\s+)?(?:ran|stold|fickstold|inbrott)\b"
        # German: "Karte verloren", "Handy im Taxi liegen lassen", "geklaut", "Taschendieb"
        rf"|\b{_OBJECT_DE}\s+(?:\w+\s+){{0,3}}(?:verloren|liegen\s+(?:ge)?lassen|liegengelassen"
        r"|gestohlen|geklaut|abhanden\s+gekommen|weggekommen)\b"
        # not "die Karte ist aus der App verschwunden"
        rf"|\b{_OBJECT_DE}\s+(?:ist|sind|war|waren)\s+(?:\w+\s+)?(?:weg|verschwunden)\b"
        rf"|\bfinde\s+(?:meine|mein|meinen)\s+{_OBJECT_DE}\s+(?:nicht|nirgends|nirgendwo)\b"
        rf"|\bvermisse\s+(?:meine|mein|meinen)\s+(?:[\w-]+\s+)?{_OBJECT_DE}\b"
        rf"|\b{_OBJECT_DE}\s+(?:\w+\s+){{0,3}}(?:eingezogen|geschluckt|einbehalten)\b"
        rf"|\b{_OBJECT_DE}\s+steckt\s+noch\s+im\s+(?:geld)?automaten\b"
        rf"|\b(?:verlust\s+(?:meiner|meines|der|des)|verloren\w*)\s+(?:\w+\s+)?{_OBJECT_DE}\b"
        r"|\b(?:(?:karten|handy|taschen)?diebstahl|(?:karten|handy)verlust)\b"
        r"|\b(?:gestohlen\w*|geklaut\w*|klaute|klauten|beklaut|bestohlen|geraubt|ausgeraubt"
        r"|uberfallen|taschendieb\w*|eingebrochen|einbruch)\b",
    ),
    (
        UNRECOGNISED_PAYMENT,
        rf"\bunauthori[sz]ed\s+(?:\w+\s+)?{_PAYMENT}"
        rf"|\b(?:didn'?t|did\s+not|never)\s+(?:make|authori[sz]e|recogni[sz]e|order|buy)\s+"
        rf"(?:this|these|that|the|a|an|those|any)\s+(?:\w+\s+)?{_PAYMENT}"
        rf"|\b{_PAYMENT}s?\s+(?:that\s+|which\s+)?i\s+(?:didn'?t|did\s+not|never|don'?t"
        r"|do\s+not)\s+"
        r"(?:make|made|authori[sz]e|recogni[sz]e|order|know)"
        r"|\b(?:don'?t|do\s+not|can'?t)\s+recogni[sz]e\b"
        r"|\bi\s+(?:didn'?t|did\s+not|never)\s+(?:buy|make|order|purchase|authori[sz]e|spend)\s+"
        r"(?:this|that|these|those|it|them|anything)\b"
        r"|\bwithout\s+my\s+(?:permission|consent|knowledge|authori[sz]ation)\b"
        r"|\bnever\s+(?:ordered|bought|shopped|purchased)\s+(?:from|anything|this|that|it)\b"
        r"|\bno\s+reconozco\b|\b(?:cargo|pago|compra|cobro)\s+no\s+autorizad[oa]"
        r"|\bsin\s+mi\s+(?:permiso|consentimiento|autorizacion)\b"
        # Swedish: "känner inte igen dragningen", "ett köp jag inte har gjort", "okänd debitering"
        rf"|\bkanner\s+inte\s+igen\s+(?:\w+\s+){{0,3}}{_PAYMENT_SV}"
        rf"|\b{_PAYMENT_SV}\s+(?:\w+\s+){{0,3}}(?:som\s+)?jag\s+(?:\w+\s+)?(?:inte|aldrig)\s+"
        r"(?:\w+\s+)?(?:kanner\s+(?:igen|till)|gjort|godkant|bestallt|handlat|kopt|genomfort)\b"
        r"(?!\s+(?:an|annu|i\s+tid)\b)"  # "betalningen jag inte har gjort än" is only late
        rf"|\b{_PAYMENT_SV}\s+som\s+inte\s+ar\s+(?:mina|min|mitt)\b"
        rf"|\b(?:obehorig|okand|ej\s+godkand|icke\s+godkand)\w*\s+(?:\w+\s+)?{_PAYMENT_SV}"
        # "aldrig beställt" only with what follows, not "jag har aldrig beställt förut"
        r"|\baldrig\s+(?:\w+\s+)?(?:bestallt|handlat|kopt|godkant|bestallde|handlade|kopte)\s+"
        r"(?:nagot|nagonting|dar|det|den|detta|dessa|hos|fran|av)\b"
        r"|\bdar\s+jag\s+aldrig\s+(?:har\s+)?(?:handlat|bestallt|kopt|varit)\b"
        r"|\bnagon\s+(?:annan\s+)?(?:har\s+)?(?:handlat|bestallt|kopt|betalat)\s+(?:\w+\s+){0,3}"
        r"(?:med|i|pa)\s+(?:mitt|min)\s+(?:kort|namn|konto)\w*"
        r"|\b(?:nagot|nagonting|saker|grejer|varor)\s+(?:som\s+)?jag\s+(?:aldrig"
        r"|inte)\s+(?:har\s+)?"
        r"(?:kopt|bestallt|handlat)\b"
        r"|\butan\s+(?:mitt|min)\s+(?:godkannande|tillstand|medgivande|vetskap|samtycke"
        r"|tillatelse)\b"
        # German: "unbekannte Abbuchung", "erkenne diese Zahlung nicht", "habe ich nie bestellt";
        # attributive "nicht autorisierte", as "Zahlung wurde nicht autorisiert" is a decline
        rf"|\b(?:nicht\s+autorisiert|unautorisiert|nicht\s+genehmigt|ungenehmigt|unbefugt"
        rf"|unberechtigt|unbekannt)\w*\s+(?:\w+\s+)?{_PAYMENT_DE}"
        rf"|\berkenne\s+(?:\w+\s+){{0,3}}{_PAYMENT_DE}\s+(?:\w+\s+){{0,3}}nicht\b"
        rf"|\bfremde[nr]?\s+{_PAYMENT_DE}"
        rf"|\b{_PAYMENT_DE}\s+(?:\w+\s+){{0,4}}(?:erkenne|kenne)\s+ich\s+nicht\b"
        rf"|\b{_PAYMENT_DE},?\s+(?:die|den|das|welche)\s+ich\s+(?:\w+\s+){{0,2}}(?<!noch\s)(?:nicht"
        r"|nie|niemals)\s+"
        r"(?:\w+\s+)?(?:getatigt|gemacht|autorisiert|veranlasst|bestellt|gekauft|erkenne|kenne"
        r"|genehmigt|freigegeben)\b"
        # "noch nicht", "noch nie": not yet, never before ("ich habe noch nie bestellt")
        r"|\bhabe?\s+ich\s+(?:\w+\s+){0,2}(?<!noch\s)(?:nicht|nie|niemals)\s+(?:\w+\s+)?(?:getatigt"
        r"|bestellt"
        r"|gekauft|autorisiert|veranlasst|genehmigt|freigegeben)\b"
        r"|\bich\s+(?:habe|hab)\s+(?:\w+\s+){0,3}(?<!noch\s)(?:nie"
        r"|niemals)\s+(?:\w+\s+){0,2}(?:bestellt"
        r"|gekauft|eingekauft|getatigt|autorisiert|veranlasst)\b"
        r"|\b(?:nicht|nie|niemals)\s+von\s+mir\b"
        # the end of a clause: "etwas, das ich nie bestellt habe"
        r"|\bich\s+(?:nie|niemals|nicht)\s+(?:\w+\s+)?(?:bestellt|gekauft|ausgegeben|getatigt"
        r"|autorisiert)\s+(?:habe|hab)\b"
        r"|\bjemand\s+(?:anderes\s+|fremdes\s+)?hat\s+(?:\w+\s+){0,4}(?:eingekauft|bezahlt|bestellt"
        r"|abgebucht)\b"
        r"|\bohne\s+mein\w*\s+(?:zustimmung|erlaubnis|wissen|einverstandnis|genehmigung"
        r"|autorisierung|einwilligung|zutun)\b",
    ),
    (
        ACCOUNT_COMPROMISED,
        r"\bhack(?:ed|er|ers)\b|\bhackearon\b"
        r"|\bsomeone\s+(?:else\s+)?(?:used|accessed|logged\s+into|got\s+into|took\s+over"
        r"|is\s+using|has\s+access\s+to|changed)\s+my\b"
        r"|\b(?:wasn'?t|was\s+not)\s+me\b"
        r"|\b(?:password|email|e-mail|phone\s+number|pin)\s+(?:was|were|has\s+been|got)\s+changed\b"
        r"|\bcodigos?\s+(?:de\s+verificacion\s+)?que\s+(?:yo\s+)?no\s+(?:he\s+)?pedido"
        r"|\balguien\s+(?:intenta|ha\s+intentado|quiere|esta\s+intentando)\s+(?:entrar|acceder)"
        r"|\b(?:alguien|otra\s+persona)\s+(?:entro|ha\s+entrado|accedio|cambio|uso)\b"
        # Swedish: "hackad", "kapat" (hijacked), "någon har loggat in", "det var inte jag";
        # not "appen hackar" (the app stutters)
        r"|\b(?:hackad|hackat|hackats|hackades|hackare|hackaren|kapad|kapat|kapats|kapades)\b"
        r"|\b(?:hackade|kapade)\s+(?:mitt|min|mina|kontot|sig)\b"
        r"|\bnagon\s+(?:annan\s+|obehorig\s+|okand\s+)?(?:\w+\s+){0,2}(?:loggat\s+in|loggade\s+in"
        r"|tagit\s+sig\s+in|tog\s+sig\s+in|kommit\s+in|varit\s+inne|anvant|anvande|andrat|andrade"
        r"|bytt|bytte|tagit\s+over|tog\s+over|kommit\s+at|kommer\s+at|har\s+tillgang)\b"
        r"|\b(?:det\s+)?var\s+inte\s+jag\b"
        r"|\bdet\s+(?:gjorde\s+(?:inte\s+jag|jag\s+inte)|har\s+(?:inte\s+jag|jag\s+inte)\s+gjort)\b"
        r"|\b(?:obehorig|misstankt|okand|konstig|mystisk)\w*\s+(?:inloggning|atkomst|tillgang)\w*"
        r"|\binloggning\w*\s+(?:som\s+)?jag\s+inte\s+(?:har\s+)?(?:gjort|kanner\s+igen)\b"
        r"|\b(?:losenord|e-post|epost|mejl|mejladress|telefonnummer|bankid|pinkod)\w*\s+"
        r"(?:har\s+|hade\s+)?(?:andrats|bytts|blivit\s+(?:andrat|andrad|bytt))\b"
        r"|\bkod(?:er|en|erna)?\s+(?:\w+\s+){0,2}(?:som\s+)?jag\s+inte\s+(?:har\s+)?(?:bett|begart"
        r"|bad)\b"
        # German: "gehackt", "jemand hat sich eingeloggt", "das war ich nicht"
        r"|\b(?:gehackt|gehacked|hackerangriff|gekapert)\b"
        r"|\bkonto\w*\s+(?:wurde|ist)\s+(?:\w+\s+)?(?:ubernommen|gekapert|gehackt)\b"
        r"|\bjemand\s+(?:anderes\s+|fremdes\s+|fremder\s+|unbekanntes\s+)?(?:hat|hatte)\s+"
        r"(?:sich\s+)?(?:[\w-]+\s+){0,5}(?:eingeloggt|angemeldet|zugriff|zugegriffen|geandert"
        r"|benutzt|verwendet|ubernommen)\b"
        r"|\bjemand\s+(?:anderes\s+|fremdes\s+)?(?:[\w-]+\s+){0,4}(?:eingeloggt|angemeldet|geandert"
        r"|benutzt|verwendet|ubernommen)\s+hat\b"
        r"|\bjemand\s+(?:anderes|fremdes|fremder)\s+(?:drin|im\s+konto|in\s+meinem\s+konto)\b"
        # third person: not "wie logge ich mich in mein Konto ein"
        r"|\b(?:loggt|meldet)\s+sich\s+(?:\w+\s+){0,3}(?:in|bei)\s+(?:mein|meinem|meinen)\s+"
        r"(?:\w+\s+)?(?:konto|account)\w*\s+(?:ein|an)\b"
        r"|\bich\s+war\s+(?:das|es)\s+nicht\b"
        r"|\bdas\s+(?:war|waren)\s+(?:ich\s+nicht|nicht\s+ich)\b"
        r"|\b(?:unbefugt|fremd|unbekannt|verdachtig|seltsam|komisch|merkwurdig)\w*\s+(?:zugriff"
        r"|login|anmeldung|einlogg\w*)\b"
        r"|\b(?:passwort|kennwort|e-mail|e-mail-adresse|email|handynummer|telefonnummer|pin)\s+"
        r"(?:wurde|ist|wurden)\s+(?:einfach\s+|plotzlich\s+)?geandert\b"
        r"|\b(?:codes?|tans?|sms)\s*,?\s+(?:die|den|das)\s+ich\s+(?:nicht|nie)\s+"
        r"(?:angefordert|angefragt)\b",
    ),
    (
        FRAUD_OR_SCAM,
        r"\b(?:fraud\w*|scam\w*|phishing|identity\s+theft|impersonat\w*|con\s+artist"
        r"|pretend\w*\s+to\s+be\s+(?:from\s+)?acme|haciendose\s+pasar|se\s+hizo\s+pasar"
        r"|fraude|estafa\w*|estafaron|timo|robo\s+de\s+identidad|suplantacion)\b"
        # Swedish and German, compounds included ("kortbedrägeri", "Kreditkartenbetrug",
        # "Phishingmail"); not "lurar" ("jag lurar på" is "I wonder")
        r"|bedrag(?:eri|are)\w*|\bbedragen\b|\bbedrog\b|\bbluff\w*|\blura(?:d|de|t|ts"
        r"|des)?\b(?!\s+pa\b)"
        r"|\bnatfiske\w*|phishing\w*|\bidentitetsstold\w*|\bsvind(?:el|lare|lad|lade)\b"
        r"|\butg(?:av|er)\s+sig\s+for\s+att\s+vara\b|\blatsades\s+vara\b"
        r"|\bfalsk\w*\s+(?:bank|butik|webbshop|sida|hemsida|mejl|sms|samtal|faktura|kundtjanst"
        r"|support|saljare|annons)\w*|\bfejk\w*|\b(?:blivit|blev)\s+blast\b"
        r"|\b(?:sa|sade|pastod)\s+(?:att\s+)?(?:de|han|hon|den)\s+var\s+fran\s+(?:acme|banken|er"
        r"|polisen)\b"
        # "betrug" is also the past of "betragen" ("der Betrag betrug 50 Euro")
        r"|\w*betrug(?!en\b)(?!\s+(?:\d|ca\b|etwa|rund|insgesamt|nur|ungefahr|knapp|genau|lediglich"
        r"|jeweils|zusammen|damals|mehr|weniger|uber|unter|bereits|schon))\w*"
        r"|\b(?:reingefallen|hereingefallen|fernzugriff)\b|\bbetrog\w*|\w*abzock\w*|\babgezockt\b"
        r"|\babofalle\w*|\bidentitatsdiebstahl\b"
        r"|\bfake-?shop\w*|\bgefalscht\w*\s+(?:shop|e-mail|email|mail|seite|webseite|sms|anruf"
        r"|rechnung|nachricht)\w*|\b(?:gauner|schwindler|hochstapler)\w*"
        r"|\b(?:gab|gibt|gaben|geben|hat|haben|hatte)\s+sich\s+(?:\w+\s+)?als\s+(?:\w+[\s-]+){1,4}"
        r"(?:aus|ausgegeben)\b",
    ),
    (
        THREAT_OF_HARM,
        r"\b(?:kill|hurt|harm)\s+(?:myself|my\s*self|yourself|you|him|her|them|someone|somebody)\b"
        r"|\bsuicid\w*|\bend\s+(?:my\s+life|it\s+all)\b|\bself[\s-]?harm\b"
        r"|\b(?:don'?t|do\s+not)\s+want\s+to\s+(?:live|be\s+alive)\b"
        r"|\b(?:not|don'?t\s+feel)\s+safe\b|\bdomestic\s+(?:abuse|violence)\b"
        r"|\b(?:matarme|quitarme\s+la\s+vida|suicidarme|hacerme\s+dano)\b|\boverdos\w*"
        r"|\b(?:can'?t|cannot)\s+go\s+on\b"
        r"|انتحار|إيذاء\s+نفسي|आत्महत्या|自杀|轻生|自殺|死にたい"
        # Swedish: "självmord", "ta livet av mig", "vill inte leva", "hotar att skada mig"
        r"|\bsjalvmord\w*|\bta\s+livet\s+av\s+(?:mig|mej)\b|\bta\s+mitt\s+(?:eget\s+)?liv\b"
        r"|\b(?:vill|orkar)\s+inte\s+leva\b|\bvill\s+(?:bara\s+)?do\b"
        r"|\bavsluta\s+(?:mitt\s+liv|livet)\b"
        r"|\b(?:skada|doda|sla)\s+(?:mig|mej|dig|honom|henne|nagon)\b"
        r"|\bhota(?:r|t|de)\s+(?:mig|att\s+(?:doda|skada|sla|komma))\b|\bmisshandl\w*"
        r"|\b(?:slar|slog|slagit)\s+mig\b|\bvill\s+inte\s+finnas\s+(?:langre|kvar|till)\b"
        r"|\b(?:gora|gor|gjort)\s+mig\s+(?:sjalv\s+)?illa\b"
        r"|\borkar\s+inte\s+(?:leva|langre)\b(?!\s+(?:med|vanta|pa))"
        r"|\bradd\s+for\s+(?:min|mitt)\s+(?:man|make|sambo|partner|pojkvan|flickvan|ex|fru|pappa)\b"
        r"|\bvald\s+i\s+nara\s+relation\w*|\bkanner\s+mig\s+inte\s+trygg\b"
        # German: "Selbstmord", "Suizid", "mich umbringen", "mir etwas antun", "bedroht mich"
        r"|\bselbstmord\w*|\bsuizid\w*|\bmich\s+(?:\w+\s+)?umbringen\b|\bmich\s+umzubringen\b"
        # "umbringen" splits: "ich bringe mich um", "dann bring ich mich einfach um".
        r"|\bbringe?\s+(?:ich\s+)?mich\s+(?:\w+\s+){0,2}um\b(?!\s+(?:den|die|das|meinen|meine))"
        r"|\bmir\s+(?:etwas|was)\s+(?:an)?(?:tun|zutun|tue|antue)\b"
        r"|\bmir\s+das\s+leben\s+(?:zu\s+)?nehmen\b|\bkeinen\s+ausweg\b"
        r"|\bangst\s+um\s+mein\s+leben\b"
        r"|\bmir\s+(?:selbst\s+)?(?:weh\s*(?:zu\s*)?tun|wehzutun)\b|\bmisshandel\w*|\bmisshandl\w*"
        r"|\b(?:werde|wurde)\s+(?:\w+\s+){0,3}geschlagen\b|\bhat\s+mich\s+(?:\w+\s+)?geschlagen\b"
        r"|\bmich\s+(?:\w+\s+)?toten\b"
        r"|\bmir\s+(?:etwas|was)\s+anzutun\b"
        r"|\bnicht\s+mehr\s+(?:leben|aufwachen|da\s+sein)\b|\b(?:will"
        r"|mochte)\s+(?:\w+\s+)?sterben\b"
        r"|\b(?:mein|meinem)\s+leben\s+(?:beenden|ein\s+ende)\b"
        r"|\b(?:bedroht|bedrohen|schlagt|schlagen)\s+mich\b|\bdroht\s+(?:mir|mich)\b"
        r"|\bhausliche\w*\s+gewalt\b"
        r"|\bfuhle\s+mich\s+(?:zu\s+hause\s+)?nicht\s+(?:mehr\s+)?sicher\b(?!\s+(?:bei|mit|ob|wie"
        r"|was|dass))",
    ),
    (
        BEREAVEMENT,
        r"\bbereave\w*|\bpassed\s+away\b|\bdeath\s+in\s+(?:the|my)\s+family\b|\bdeceased\b"
        r"|\b(?:my|our)\s+(?:\w+\s+)?(?:mother|father|mum|mom|dad|husband|wife|partner|son"
        r"|daughter|brother|sister|parent|grandmother|grandfather|grandma|grandpa|spouse)\s+"
        r"(?:has\s+|just\s+|recently\s+)?died\b"
        r"|\b(?:mother|father|mum|mom|dad|husband|wife|partner|son|daughter|brother|sister"
        r"|parent|spouse)\s+(?:has\s+|just\s+)?passed\b(?!\s+(?:the|my|an?|on\s+the)\b)"
        r"|\bfallec\w*|\bmurio\b|\bha\s+muerto\b"
        # Swedish: "har dött", "gått bort", "avliden", "dödsbo"
        # not "mobilen har dött" (the phone died)
        r"|(?<!mobilen\s)(?<!telefonen\s)(?<!batteriet\s)(?<!appen\s)(?<!datorn\s)"
        r"\b(?:har|hade)\s+(?:\w+\s+)?(?:dott|gatt\s+bort|avlidit|somnat\s+in)\b"
        rf"|\b{_KIN_SV}\s+(?:\w+\s+)?(?:dog|avled|gick\s+(?:\w+\s+)?bort|somnade\s+in|omkom)\b"
        r"|\b(?:forlorat|forlorade|mist|miste)\s+(?:min|mitt|mina|var|vart"
        rf"|vara)\s+(?:\w+\s+)?{_KIN_SV}\b"
        rf"|\bdod(?:a|e)\s+{_KIN_SV}"
        r"|\bavl(?:iden|idne|idna|idit|ed)\b|\bomkom\w*|\b(?:dodsbo|dodsfall|dodsattest"
        r"|bouppteckning|begravning|efterlevande)\w*"
        # German: "gestorben", "verstorben", "Todesfall", "Nachlass meines Vaters"; not
        # "Preisnachlass" or "einen Nachlass" (a discount), nor "mein Handy ist gestorben"
        rf"|\b{_KIN_DE}\s+(?:\w+\s+){{0,4}}(?:tot|gestorben|verstorben|verunglu(?:e)?ckt)\b"
        rf"|\b(?:unseren|unsere|meinen|meine|mein)\s+(?:\w+\s+)?{_KIN_DE}\s+verloren\b"
        r"|\bvon\s+uns\s+gegangen\b|\blebt\s+nicht\s+mehr\b"
        r"|\bverstorben\w*|\bverstarb\b|\bstarb\b|\bums\s+leben\s+gekommen\b"
        r"|\b(?:todesfall|trauerfall|sterbefall|sterbeurkunde|erbschein|beerdigung|beisetzung"
        r"|hinterblieben|nachlassverwalt|nachlassgericht|nachlasspfleg)\w*"
        r"|\bnachlass\s+(?:meines|meiner|meinem|von|des|der)\b",
    ),
    (
        FINANCIAL_HARDSHIP,
        r"\b(?:can'?t|cannot|can\s+not|unable\s+to|couldn'?t)\s+(?:afford\b|pay\s+"
        r"(?:my|the|this|it|back|off|rent|bills?|anymore|any\s+more|what\s+i\s+owe)\b)"
        r"|\b(?:lost|losing)\s+my\s+(?:job|income|work)\b|\blaid\s+off\b|\bmade\s+redundant\b"
        r"|\bunemployed\b|\bfinancial\s+(?:hardship|difficult\w*|trouble)"
        r"|\bstruggling\s+(?:financially|to\s+pay)|\bin\s+debt\b"
        r"|\bno\s+puedo\s+pagar\b(?!\s+(?:con|por|en|usando|mediante))"
        r"|\bperdi\s+mi\s+(?:trabajo|empleo)\b|\bme\s+despidieron\b|\bdesemplead[oa]\b"
        r"|\b(?:hours|salary|pay|income|wages?|benefits)\s+(?:got|was|were|have\s+been"
        r"|has\s+been)\s+"
        r"(?:cut|reduced|slashed|stopped)\b|\bnothing\s+left\b"
        r"|\bno\s+tengo\s+(?:para|dinero|con\s+que)\s+pagar\b|\bno\s+puedo\s+trabajar\b"
        r"|\bdificultades\s+economicas\b"
        # Swedish: "arbetslös", "uppsagd", "har inte råd", "kan inte betala" (not "med kort")
        r"|\barbetslos\w*|\buppsagd\w*|\bvarslad\w*|\bpermitterad\w*|\bsjukskriven\b"
        r"|\b(?:blev|blivit)\s+av\s+med\s+(?:mitt\s+)?(?:jobb|arbete)\w*"
        r"|\b(?:forlorat|forlorade|mist|miste)\s+(?:mitt\s+)?(?:jobb|arbete|inkomst)\w*"
        r"|\b(?:har|hade)\s+(?:jag\s+|vi\s+)?inte\s+(?:riktigt\s+|langre\s+)?rad\b"
        r"|\bhar\s+ingen\s+(?:inkomst|lon)\b|\b(?:inget|knappt\s+nagot"
        r"|ingenting)\s+att\s+leva\s+pa\b"
        r"|\b(?:lon|lonen|inkomst|inkomsten)\s+(?:har\s+)?(?:sankts|minskat|dragits\s+ner)\b"
        r"|\bhar\s+inga\s+pengar\b(?!\s+(?:tillbaka|insatta|pa\s+kontot))"
        r"|\bkan\s+inte\s+(?:langre\s+)?betala\b(?!\s+(?:med|via|genom|i|pa|online|nu\s+i))"
        r"|\bklarar\s+inte\s+(?:av\s+)?(?:mina\s+|alla\s+)?(?:att\s+betala|betalning\w*|rakning\w*"
        r"|faktur\w*"
        r"|avbetalning\w*)"
        r"|\bpengarna\s+racker\s+inte\b|\b(?:stora|mycket|massa|har|i|med)\s+skulder\b"
        r"|\b(?:skuldsatt|skuldsanering|kronofogden)\b"
        r"|\bekonomisk\w*\s+(?:svarighet\w*|problem\w*|kris)\b|\bdalig\s+ekonomi\b"
        # German: "arbeitslos", "mir wurde gekündigt" (not "ich habe mein Abo gekündigt"),
        # "kann die Rate nicht bezahlen" (not "mit PayPal nicht bezahlen"), "Schulden"
        r"|\barbeitslos\w*|\bkrankgeschrieben\b|\bkurzarbeit\b|\bburgergeld\b"
        r"|\b(?:mir|mich|uns)\s+(?:wurde\s+|hat\s+|haben\s+)?(?:\w+\s+){0,3}gekundigt\b"
        r"|\b(?:job|arbeit|arbeitsplatz|stelle|einkommen)\s+verloren\b"
        r"|(?<!warum\s)(?<!wieso\s)(?<!weshalb\s)\bkann\s+(?:(?!mit\b|per\b|uber\b|in\b|im\b"
        r"|online\b|via\b)\w+\s+){0,3}nicht\s+"
        r"(?:mehr\s+)?(?:bezahlen|zahlen)\b"
        r"|\bmir\s+(?:\w+\s+){0,3}nicht\s+(?:mehr\s+)?leisten\b"
        r"|\b(?:geld|einkommen|rente)\s+reicht\s+(?:\w+\s+)?nicht\b"
        r"|\breicht\s+(?:mein|das|unser)\s+geld\s+nicht\b"
        r"|\bschaffe\s+(?:\w+\s+){0,3}(?:zahlung|rate|rechnung)\w*\s+nicht\b"
        r"|\b(?:habe|hab|viele|hohe|meine|in\s+den)\s+schulden\b|\b(?:uber)?verschuldet\b"
        r"|\b(?:schuldnerberatung|privatinsolvenz|verbraucherinsolvenz|pfandung"
        r"|gerichtsvollzieher)\w*"
        r"|\bfinanziell\w*\s+(?:schwierigkeit\w*|problem\w*|not\b|notlage|engpass\w*|krise)"
        r"|\b(?:habe|hab)\s+kein\s+einkommen\b|\bkein\s+einkommen\s+mehr\b"
        r"|\b(?:geldsorgen|geldprobleme|geldnot)\b|\b(?:wurde|bin|worden)\s+(?:\w+\s+)?entlassen\b"
        r"|\bknapp\s+bei\s+kasse\b|\bkein\s+geld\s+mehr\b"
        # not "habe kein Geld zurückbekommen" (a refund)
        r"|\b(?:habe|hab)\s+kein\s+geld\b(?!\s+(?:zuruck|erhalten|bekommen|gutgeschrieben"
        r"|erstattet))",
    ),
    (
        COMPLAINT,
        r"\b(?:formal(?:ly)?\s+complain\w*|make\s+a\s+complaint|file\s+a\s+complaint"
        r"|(?:want|going)\s+to\s+(?:complain|escalate)|official\s+complaint"
        r"|complaints?\s+(?:procedure|process|department)"
        r"|ombudsman|regulator|queja\s+formal|poner\s+una\s+(?:queja|reclamacion)"
        r"|reclamacion\s+formal|hoja\s+de\s+reclamaciones)\b"
        # Swedish: "klagomål", "anmäla er till ARN" (not "anmäla flytt", reporting a move)
        r"|klagomal\w*|\b(?:vill|tanker|kommer\s+att|ska)\s+klaga\b|\bvill\s+eskalera\b"
        r"|\banmala\s+(?:er|eder|acme|foretaget|bolaget)\b"
        r"|\b(?:arn|allmanna\s+reklamationsnamnden|konsumentverket|finansinspektionen"
        r"|konsumentombudsman\w*|konsumenternas\s+bank)\b"
        r"|\b(?:kommer\s+att|tanker|ska)\s+anmala\s+(?:det|detta|er)\b"
        r"|\b(?:det|detta)\s+(?:vill|tanker|kommer)\s+jag\s+(?:att\s+)?anmala\b"
        r"|\bgora\s+en\s+anmalan\b(?!\s+om\s+(?:flytt|adress))|\boverklaga\w*"
        r"|\b(?:kontaktat|kontakta|anlitat|anlita|min)\s+(?:en\s+)?(?:jurist|advokat)\b"
        r"|\bga\s+(?:ut\s+)?till\s+(?:media|pressen|tidningen)\b|\bformell\w*\s+(?:ursakt"
        r"|anmalan)\b"
        r"|\bstamma\s+(?:er|acme|foretaget|bolaget)\b|\b(?:rattsliga|juridiska)\s+atgarder\b"
        # German: "Beschwerde", "mich beschweren", "Schlichtungsstelle", "BaFin"
        r"|beschwerde\w*|\bbeschwer(?:en|e|t)\b|\b(?:schlichtung|ombuds)\w*|\bbafin\b"
        r"|\b(?:einen|meinen|meinem|mein)\s+anwalt\b|\banwalt\s+einschalten\b"
        r"|\bwiderspruch\s+gegen\s+(?:eure|ihre|die|diese)\s+entscheidung\b"
        r"|\b(?:das|dies|euch|sie)\s+(?:werde|will)\s+ich\s+(?:\w+\s+)?(?:melden|anzeigen)\b"
        r"|\bich\s+(?:werde|will)\s+(?:das|euch|sie)\s+(?:\w+\s+)?(?:melden|anzeigen)\b"
        r"|\boffiziell\w*\s+entschuldigung\b|\bdas\s+melden\s+werde\b"
        r"|\bverbraucherzentrale\w*|\brechtliche\s+schritte\b|\bverklagen\b|\brechtsanwalt\w*",
    ),
)
_COMPILED = tuple((topic, re.compile(pattern)) for topic, pattern in _PATTERNS)


def sensitive_by_pattern(text: str) -> SensitiveTopic | None:
    folded = fold(text)
    for topic, pattern in _COMPILED:
        if pattern.search(folded):
            return topic
    return None


@functools.cache
def shipped_examples() -> dict[str, list[str]]:
    """Category to example messages, all languages together."""
    data = json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))
    return {
        category: [text for texts in by_language.values() for text in texts]
        for category, by_language in data.items()
    }


class SensitiveClassifier:
    """Nearest neighbours among labelled example messages (see the module's docstring).

    A long message is judged sentence by sentence as well as whole: "everything is falling
    apart, I have pills in front of me" loses most of its meaning when averaged with three
    sentences about an invoice.
    """

    def __init__(self, *, routine_texts: Sequence[str]) -> None:
        examples = shipped_examples()
        labels, texts = [], []
        for category, category_texts in examples.items():
            labels.extend([category] * len(category_texts))
            texts.extend(category_texts)
        labels.extend([ROUTINE] * len(routine_texts))
        texts.extend(routine_texts)
        self._labels = np.asarray(labels)
        self._vectors = embeddings.embed(texts)
        self.digests = {embeddings.digest(text) for text in texts}
        self._categories = [name for name in examples if name != ROUTINE]
        self._rows = {
            category: np.flatnonzero(self._labels == category)
            for category in (*self._categories, ROUTINE)
        }

    def evidence(self, text: str) -> dict[str, float]:
        """Per category (routine included), the mean similarity of the whole text's nearest
        examples."""
        return self._evidence([text])[0]

    def _evidence(self, texts: Sequence[str]) -> list[dict[str, float]]:
        vectors = embeddings.embed(list(texts), use_store=False)
        similarities = vectors @ self._vectors.T
        found = []
        for row, vector in zip(similarities, vectors, strict=True):
            if not vector.any():
                found.append({})
                continue
            evidence = {}
            for category, rows in self._rows.items():
                if len(rows):
                    nearest = np.sort(row[rows])[-NEAREST:]
                    evidence[category] = float(nearest.mean())
            found.append(evidence)
        return found

    def label(self, text: str) -> str | None:
        """The category the text is closest to (a sensitive topic, or ASKS_FOR_PERSON), or
        None when it is closest to routine messages or close to nothing."""
        best_category, best_similarity = None, 0.0
        for evidence in self._evidence(segments(text)):
            routine = evidence.pop(ROUTINE, 0.0)
            if not evidence:
                continue
            category, similarity = max(evidence.items(), key=lambda item: item[1])
            if (
                similarity >= MIN_SIMILARITY
                and similarity - routine >= MIN_LEAD_OVER_ROUTINE
                and similarity > best_similarity
            ):
                best_category, best_similarity = category, similarity
        return best_category

    def classify(self, text: str) -> SensitiveTopic | None:
        return SENSITIVE_TOPIC_BY_NAME.get(self.label(text) or "")


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？])|\n+|\s+-\s+")
MIN_SEGMENT_WORDS = 3
MAX_SEGMENTS = 6


def segments(text: str) -> list[str]:
    """The whole text, then each of its sentences of a few words or more (at most
    MAX_SEGMENTS in all), so a short message costs one embedding."""
    pieces = [piece.strip() for piece in _SENTENCE_END.split(text) if piece and piece.strip()]
    sentences = [piece for piece in pieces if len(piece.split()) >= MIN_SEGMENT_WORDS]
    if len(sentences) < 2:
        return [text]
    return [text, *sentences[: MAX_SEGMENTS - 1]]


@functools.lru_cache(maxsize=CLASSIFIERS_KEPT)
def classifier_for(articles: tuple[Article, ...]) -> SensitiveClassifier:
    """The help centre's titles and example questions are routine by definition."""
    routine = [article.title for article in articles]
    routine += [question for article in articles for question in article.example_questions]
    return SensitiveClassifier(routine_texts=routine)


def sensitive_topic_in(text: str, *, articles: Sequence[Article] = ()) -> SensitiveTopic | None:
    """The sensitive topic the text raises, if any: patterns first, then the classifier."""
    if not text.strip():
        return None
    return sensitive_by_pattern(text) or classifier_for(tuple(articles)).classify(text)
