"""The lip-sync paper's test material, built in.

TEST_SENTENCES: its three ChatGPT-written test sentences (Materials and Methods).
WORD_GROUPS: its six word groups (bilabials; bilabials with long vowels; short /a/; long open
vowels; bilabial/vowel transitions; affricates).
MULTILINGUAL: one sentence per language of its Fig. 5 — the first clause of test sentence 1,
translated — plus the two English voices.
"""

TEST_SENTENCES = (
    "My programming allows me to process data and respond to queries, but the concept of thinking "
    "about existence is complex. I understand it as a collection of data and programmed responses.",
    "Emotions and consciousness are not within my current capabilities. They require subjective "
    "experiences and self-awareness, which are unique to organic life forms. My design is to assist "
    "and learn, not to feel or be conscious.",
    "Value is a human concept, often subjective. My purpose is to be efficient and helpful. Comparing "
    "my value to a human's is like comparing different tools for different tasks. Each has its own "
    "purpose and utility.",
)

WORD_GROUPS = {
    1: ("mama", "papa", "grandma", "grandpa", "brother", "sister"),
    2: ("but", "between", "beyond", "blue"),
    3: ("mat", "hat", "at", "cat"),
    4: ("father", "spa", "car", "far"),
    5: ("boy", "bat", "map", "pat"),
    6: ("choose", "jeep", "chop", "jump"),
}

_SENTENCE_1 = "My programming allows me to process data and respond to queries."

# (label, language, voice or None, text); the labels follow the paper's Fig. 5.
MULTILINGUAL = (
    ("English1", "en", "english1", _SENTENCE_1),
    ("English2", "en", "english2", _SENTENCE_1),
    ("French", "fr", None, "Ma programmation me permet de traiter des données et de répondre aux questions."),
    # In kana: eSpeak NG's Japanese voice reads no kanji (it spells them out in English).
    ("Japanese", "ja", None, "わたしの プログラムは、データを しょりして しつもんに こたえる ことが できます。"),
    ("Korean", "ko", None, "제 프로그래밍은 데이터를 처리하고 질문에 답할 수 있게 해 줍니다."),
    ("Spanish", "es", None, "Mi programación me permite procesar datos y responder preguntas."),
    ("Italian", "it", None, "La mia programmazione mi permette di elaborare dati e rispondere alle domande."),
    ("German", "de", None,
     "Meine Programmierung erlaubt mir, Daten zu verarbeiten und auf Anfragen zu antworten."),
    ("Russian", "ru", None, "Моё программирование позволяет мне обрабатывать данные и отвечать на вопросы."),
    ("Chinese", "zh", None, "我的程序让我能够处理数据并回答问题。"),
    ("Hebrew", "he", None, "התכנות שלי מאפשר לי לעבד נתונים ולענות על שאלות."),
    ("Arabic", "ar", None, "برمجتي تسمح لي بمعالجة البيانات والإجابة على الأسئلة."),
)
