"""Short customer messages, labelled with their language: the set the detector's threshold
was chosen on (tickets/language.py, docs/assistant.md "The conversation's language").

Five first messages per supported language, as customers write them: short, a question or a
complaint about an order, a refund, a login. ``TOO_SHORT`` are texts no detector should guess.
"""

LABELLED_FIRST_MESSAGES: dict[str, list[str]] = {
    "en": [
        "My order has not arrived yet, can you help?",
        "I was charged twice for the same subscription",
        "How do I reset my password?",
        "I want a refund for the broken headphones",
        "Why is my account locked?",
    ],
    "es": [
        "Mi pedido todavía no ha llegado, ¿me pueden ayudar?",
        "Me cobraron dos veces la misma suscripción",
        "¿Cómo cambio mi contraseña?",
        "Quiero un reembolso por los auriculares rotos",
        "¿Por qué está bloqueada mi cuenta?",
    ],
    "fr": [
        "Ma commande n'est toujours pas arrivée, pouvez-vous m'aider ?",
        "J'ai été débité deux fois pour le même abonnement",
        "Comment réinitialiser mon mot de passe ?",
        "Je voudrais être remboursé pour le casque cassé",
        "Pourquoi mon compte est-il bloqué ?",
    ],
    "de": [
        "Meine Bestellung ist noch nicht angekommen, können Sie helfen?",
        "Mir wurde dasselbe Abo zweimal berechnet",
        "Wie setze ich mein Passwort zurück?",
        "Ich möchte eine Erstattung für die kaputten Kopfhörer",
        "Warum ist mein Konto gesperrt?",
    ],
    "pt": [
        "Minha encomenda ainda não chegou, podem me ajudar?",
        "Fui cobrado duas vezes pela mesma assinatura",
        "Como faço para redefinir minha senha?",
        "Quero o reembolso dos fones de ouvido quebrados",
        "Por que minha conta está bloqueada?",
    ],
    "it": [
        "Il mio ordine non è ancora arrivato, potete aiutarmi?",
        "Mi avete addebitato due volte lo stesso abbonamento",
        "Come reimposto la mia password?",
        "Vorrei un rimborso per le cuffie rotte",
        "Perché il mio account è bloccato?",
    ],
    "nl": [
        "Mijn bestelling is nog steeds niet aangekomen, kunnen jullie helpen?",
        "Er is twee keer voor hetzelfde abonnement afgeschreven",
        "Hoe stel ik mijn wachtwoord opnieuw in?",
        "Ik wil mijn geld terug voor de kapotte koptelefoon",
        "Waarom is mijn account geblokkeerd?",
    ],
    "pl": [
        "Moje zamówienie jeszcze nie dotarło, czy możecie pomóc?",
        "Pobrano ode mnie dwa razy opłatę za tę samą subskrypcję",
        "Jak zresetować moje hasło?",
        "Chcę zwrot pieniędzy za zepsute słuchawki",
        "Dlaczego moje konto jest zablokowane?",
    ],
    "hi": [
        "मेरा ऑर्डर अभी तक नहीं आया है, क्या आप मदद कर सकते हैं?",
        "मुझसे एक ही सदस्यता के लिए दो बार पैसे लिए गए",
        "मैं अपना पासवर्ड कैसे बदलूं?",
        "मुझे टूटे हुए हेडफ़ोन के लिए रिफंड चाहिए",
        "मेरा खाता बंद क्यों है?",
    ],
    "ar": [
        "لم يصل طلبي بعد، هل يمكنكم مساعدتي؟",
        "تم خصم نفس الاشتراك مرتين من حسابي",
        "كيف أعيد تعيين كلمة المرور؟",
        "أريد استرداد المبلغ مقابل السماعات المكسورة",
        "لماذا تم قفل حسابي؟",
    ],
    "zh": [
        "我的订单还没有到，你们能帮我吗？",
        "同一个订阅扣了我两次钱",
        "我怎么重置密码？",
        "耳机坏了，我想要退款",
        "为什么我的账户被锁定了？",
    ],
    "ja": [
        "注文した商品がまだ届いていません。助けてもらえますか？",
        "同じサブスクリプションで二回請求されました",
        "パスワードをリセットするにはどうすればいいですか？",
        "壊れたヘッドホンの返金をお願いします",
        "なぜアカウントがロックされているのですか？",
    ],
    "sv": [
        "Min beställning har fortfarande inte kommit, kan ni hjälpa mig?",
        "Jag har debiterats två gånger för samma prenumeration",
        "Hur återställer jag mitt lösenord?",
        "Jag vill ha pengarna tillbaka för de trasiga hörlurarna",
        "Varför är mitt konto låst?",
    ],
}

# Too short or shared by many languages: the stated language must stand.
TOO_SHORT: list[str] = ["ok", "hi", "?", "order 12345", "thanks!", "Hallo", "no", "PayPal"]
