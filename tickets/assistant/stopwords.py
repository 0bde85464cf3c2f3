"""Function words per language: words that carry no topic, removed before stemming.

snowballstemmer ships stemmers but no stop lists, so these are written here, compact on
purpose: pronouns, articles, prepositions, forms of "be" and "have", question words, and the
filler of support questions ("how long does it take to…"). Leaving them in would make every
question look half-unanswered, and would let "je" or "ma" match an article for sharing them.

Written as `words.fold` leaves them: lower case, Latin accents dropped ("où" is "ou", "für"
is "fur"); other scripts keep their marks. Chinese and Japanese are compared as the
character pairs `words.all_words` cuts them into, so their lists are pairs.
"""

_TEXT = {
    "en": """
    a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing done down during each else even ever
    few for from further get gets getting got had has have having he her here hers him his how
    i if in into is it its itself just let like ll m me more most much must my myself need
    needs no nor not now of off on once only or other our ours out over own please re really
    s same she should so some still such t than that the their theirs them then there these
    they this those through to too under until up us ve very want wants was we were what when
    where which while who whom why will with would yet you your yours yourself
    don doesn didn isn aren wasn weren hasn haven hadn won wouldn couldn shouldn d
    hi hello hey thanks thank thx ok okay yes yeah im ive dont cant pls plz u ur
    know tell help able way thing something anything make made go going acme
    """,
    "es": """
    el la los las un una unos unas de del al y o que en por para con sin mi mis tu tus su sus
    es son esta estan ser fue como cuando donde quiero quisiera puedo puede necesito hay me se
    lo le les ya muy mas pero si no hola gracias yo te nos este ese eso esto tengo tiene hacer
    acme
    """,
    "fr": """
    le la les l un une des du de d au aux et ou que qu qui quoi en dans par pour avec sans sur
    sous je j tu il elle on nous vous ils elles me m te t se s mon ma mes ton ta tes son sa ses
    notre nos votre vos leur leurs ce cet cette ces c est sont etre ete suis es etes ai as a
    avons avez ont avoir fait faire ne n pas plus mais si comment quand pourquoi quel quelle
    quels quelles peux peut pouvez veux voudrais dois bonjour merci oui non tres y acme
    """,
    "de": """
    der die das den dem des ein eine einer einen einem eines und oder aber nicht kein keine
    in im an am auf aus bei mit nach von vom zu zum zur fur uber unter um ich du er sie es
    wir ihr mich mir dich dir uns euch mein meine meinen meinem meiner dein deine sein seine
    ist sind bin bist war waren sein habe hast hat haben hatte kann konnen konnte mochte will
    muss soll wie wo wann warum was wer welche welcher welches noch schon nur auch sehr so
    hallo danke bitte ja nein acme
    """,
    "it": """
    il lo la i gli le un uno una di del della dei delle degli da dal dalla in nel nella con su
    sul sulla per tra fra e o ma non che chi cosa io tu lui lei noi voi loro mi ti si ci vi mio
    mia miei mie tuo tua suo sua nostro vostro e sono sei siamo essere ho hai ha abbiamo hanno
    avere come com dov quando dove perche quale posso puo vorrei devo ciao grazie si no molto acme
    """,
    "pt": """
    o a os as um uma uns umas de do da dos das no na nos nas em por para com sem e ou mas nao
    que quem eu tu voce ele ela nos vos eles elas me te se lhe meu minha meus minhas seu sua
    teu tua e sao esta estao ser foi tenho tem ter como quando onde porque qual posso pode
    quero queria preciso ola obrigado obrigada sim muito acme
    """,
    "nl": """
    de het een en of maar niet geen in op aan bij met naar van voor uit over onder om tot
    ik jij je hij zij ze wij we u mij me mijn jouw jullie hun ons onze is zijn ben bent was
    waren heb hebt heeft hebben had kan kunnen wil wilt moet hoe waar wanneer waarom wat wie
    welke er nog al ook zo heel hallo hoi bedankt dank dankje alsjeblieft ja nee acme
    """,
    "sv": """
    en ett den det de dem och eller men inte ingen i pa av for fran med till om under over vid
    hos jag du han hon vi ni mig mej dig oss er min mitt mina din ditt dina sin sitt sina ar
    var varit vara har hade ha kan kunde vill ska skulle maste hur var nar varfor vad vem
    vilken vilket vilka som att sa mycket hej tack ja nej acme
    """,
    "pl": """
    i w we z ze na do od o u po przez dla bez pod nad a ale lub albo czy nie to ten ta te
    jest sa byc byl byla mam ma maja ja ty on ona my wy oni mnie mi moj moja moje moi twoj
    jak gdzie kiedy dlaczego co kto ktory ktora ktore sie moge moze chce chcialbym prosze
    dzien dobry czesc dziekuje tak bardzo acme
    """,
    "hi": """
    मेरा मेरी मेरे मैं मुझे मुझको हम हमारा हमारी तुम आप आपका आपकी आपके वह वे यह ये उस उसका
    उसकी इस इसका का की के को से में पर तक ने और या लेकिन भी तो ही है हैं था थी थे हो होता
    होती होगा कहाँ कहां क्या कैसे कब क्यों कौन कोई कुछ नहीं न मैंने चाहिए चाहता चाहती सकता
    सकती सकते कृपया नमस्ते धन्यवाद हाँ हां जी
    """,
    "ar": """
    في من إلى الى على عن مع و أو او ثم لكن لا لم لن ما ماذا هل أين اين متى كيف لماذا من
    هذا هذه ذلك تلك هو هي هم أنا انا أنت انت نحن أنتم كان كانت يكون أريد اريد أستطيع
    يمكن يمكنني عند قد كل بعض الذي التي مرحبا شكرا نعم من فضلك
    """,
    # Character pairs: "my", "our", "your", "how", "what", "where", "why", "can", "please".
    "zh": """
    我的 我们 你的 你们 他的 怎么 怎样 什么 哪里 哪儿 为什 可以 能不 请问 一下 是不 吗
    谢谢 你好
    """,
    # Character pairs of polite endings and question words: "desu", "masu", "…ka",
    # "please", "where", "how", "what".
    "ja": """
    です すか ます ませ せん くだ ださ さい どこ どう なに 何で でし した ので して
    """,
}

STOPWORD_TEXT: dict[str, tuple[str, ...]] = {
    language: tuple(text.split()) for language, text in _TEXT.items()
}
