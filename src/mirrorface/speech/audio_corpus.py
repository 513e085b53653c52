"""Training material for the audio -> articulation model: eSpeak speech, its targets, augmentation.

Every sentence below is spoken by eSpeak NG in several voice variants (drawn from every variant
it ships but the held-out ones), rates and pitches; its phoneme events give the articulation
targets (`articulate`) exactly, so no labelling is needed. The English sentences are also
spoken by voices of other synthesizers built from people's recordings (`OTHER_TRAIN_VOICES`:
Flite's awb, rms and kal16, Festival's kal and ked, when installed), whose segment timings serve
the same way. The last `HELD_OUT` sentences of each language are never trained on: they are
`mirrorface eval audio`'s test set, spoken by the default voice and by a variant the training
never hears; whole voices are held out too (`HELD_OUT_VARIANTS`, and the CMU ARCTIC speaker slt
of Flite and Festival).

Choices made after training (the closure threshold, and which recipe ships) are made on a
validation split of its own (`validation_corpus`): `VALIDATION_SENTENCES`, in no training run
and no evaluation, spoken by the trained other-synthesizer voices and by Festival's Catalan ona,
a woman's voice nothing trains or evaluates on.

Augmentation (`augment`) makes eSpeak's clean studio voice look like a room and a microphone:
tape-speed change (0.9-1.1, which also shifts the formants as a different vocal tract would;
the targets are time-stretched to match), gain, reverberation (an exponentially decaying
noise impulse response, RT60 0.1-0.5 s), a telephone codec (8 kHz band, 8-bit mu-law) and
coloured noise at 10-30 dB SNR; the features are then warped (VTLP, `audio_model.TrainConfig.vtlp`).
Pitch varies at synthesis (eSpeak's pitch parameter), which leaves the timing, and so the
targets, unchanged. Some clips are not speech at all (`nonspeech_example`): noise, music and
knocks, whose target is the mouth at rest; as many speech clips have such sound under them
(`add_background`), and keep their own targets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.fft import next_fast_len
from scipy.signal import fftconvolve, resample_poly

from mirrorface.articulation.coarticulation import articulate
from mirrorface.speech import tts
from mirrorface.speech.audio import resample
from mirrorface.speech.features import FEATURE_RATE
from mirrorface.speech.nonspeech import coloured, nonspeech_audio
from mirrorface.timeline import Timeline

TARGET_FPS = 100.0  # targets at the 10 ms feature frame rate: frame t at t * 10 ms
HELD_OUT = 3  # the last sentences of each language, for evaluation only

# Short everyday sentences, rich in bilabials, in each language's own script. Written for this
# corpus; none is one of the lip-sync paper's test sentences. Japanese is in kana: eSpeak NG's
# Japanese voice cannot read kanji (it spells each one out in English as "Chinese letter").
SENTENCES = {
    "en": ("Please pass me the blue paper bag.", "My mother bought bread and butter at the market.",
           "Bob made a map of the big empty beach.", "We will meet by the pool at five.",
           "The puppy jumped over the broken bench.", "Maybe the bus will be late this morning.",
           "I would like a cup of warm milk, please.", "Open the window and breathe the spring air.",
           "Peter plays the piano every Monday.", "The moon was bright above the mountains.",
           "Birds build small nests in the maple tree.", "Who put my umbrella in the box?",
           "She keeps a photo of her family by the lamp.", "Remember to bring plums and pears.",
           "The baby smiled at the funny clown."),
    "fr": ("Le petit chat boit du lait dans un bol.", "Mon frère aime beaucoup la musique brésilienne.",
           "Nous partons à la plage demain matin.", "Il fait beau, prenons le bateau.",
           "Marie a perdu son parapluie bleu.", "Le boulanger prépare du pain et des brioches.",
           "Ouvre la fenêtre, s'il te plaît.", "Bonjour, comment vas-tu ce matin ?",
           "Ma grand-mère habite près de Bordeaux.", "Le médecin m'a donné un bon conseil.",
           "Les pompiers sont arrivés très vite.", "J'ai acheté des pommes et des prunes au marché.",
           "Tu veux un peu de beurre sur ton pain ?", "Le bébé dort paisiblement dans son berceau.",
           "Combien de temps faut-il pour aller à Paris ?"),
    "es": ("Mi madre prepara una sopa muy buena.", "El perro bebe agua en el parque.",
           "Pablo compró pan y manzanas en el mercado.", "Mañana vamos a la playa con mis primos.",
           "Por favor, abre la puerta del baño.", "Me gusta mucho la música de Brasil.",
           "El barco blanco navega por el mar.", "¿Cuánto cuesta este bolso morado?",
           "La mariposa vuela sobre las flores.", "Hoy es un buen día para pasear.",
           "Mi hermano pequeño ya sabe nadar.", "Los bomberos apagaron el fuego pronto.",
           "Bebemos café con leche por la mañana.", "Ella pinta un mapa del mundo.",
           "Pedro tiene miedo de las tormentas."),
    "it": ("Mia madre prepara la pasta ogni domenica.", "Il bambino beve un bicchiere di latte.",
           "Andiamo al mare domani mattina.", "Per favore, apri la porta della camera.",
           "Il pompiere ha salvato il gatto.", "Mi piace molto il pane fresco.",
           "Paolo compra le mele al mercato.", "Il cielo è blu e il tempo è bello.",
           "Quanto costa questa borsa bianca?", "Mio padre lavora in un ufficio a Milano.",
           "La bambola è sopra il letto.", "Buongiorno, come stai oggi?",
           "Il treno parte fra un minuto.", "Abbiamo mangiato una buona pizza.",
           "Le api volano sui fiori del prato."),
    "de": ("Mein Bruder baut ein Boot aus Papier.", "Im Sommer gehen wir oft schwimmen.",
           "Bitte bring mir eine Tasse Milch.", "Der Baum im Park ist sehr alt.",
           "Meine Mutter backt einen Apfelkuchen.", "Morgen fahren wir mit dem Bus nach Bremen.",
           "Die Blumen blühen im Mai.", "Wo ist mein blauer Pullover?",
           "Peter spielt jeden Abend Klavier.", "Das Wetter ist heute wunderbar.",
           "Wir brauchen Brot, Butter und Marmelade.", "Der Hund bellt, wenn die Post kommt.",
           "Am Montag beginnt die Schule wieder.", "Ich habe ein neues Fahrrad bekommen.",
           "Die Bibliothek macht um acht Uhr auf."),
    "ru": ("Мой брат пьёт молоко по утрам.", "Мы поедем на море в пятницу.", "Пожалуйста, открой окно.",
           "Бабушка печёт вкусные пироги.", "В парке много больших деревьев.",
           "Отец купил новую машину.", "Этот белый медведь очень большой.",
           "Мне нравится музыка Моцарта.", "Петя играет в футбол во дворе.",
           "Сегодня прекрасная погода.", "Где моя синяя сумка?", "Библиотека открывается в девять.",
           "Мы пили чай с малиновым вареньем.", "Собака бежит по белому снегу.",
           "Рыба плавает в пруду."),
    "ja": ("わたしは まいあさ パンを たべます。", "こうえんで ボールあそびを しました。",
           "あしたは うみへ いきましょう。", "まどを あけて ください。",
           "おかあさんは おいしい おべんとうを つくります。", "ほんを さんさつ かいました。",
           "あめが ふっているので かさを もっていきます。", "きのう ともだちと えいがを みました。",
           "とうきょうまで バスで いきます。", "この ペンは いくらですか。",
           "さくらの はなが とても きれいです。", "ぼくは ピアノを ひくのが すきです。",
           "まいばん ほしを みています。", "あたたかい ミルクを のみたいです。",
           "えきの まえで まっています。"),
    "ko": ("저는 매일 아침 빵을 먹어요.", "내일 바다에 가고 싶어요.", "문을 열어 주세요.",
           "우리 엄마는 음식을 잘 만들어요.", "공원에서 비둘기를 봤어요.", "밤하늘에 별이 많이 보여요.",
           "버스를 타고 부산에 갔어요.", "이 모자는 얼마예요?", "봄에는 꽃이 많이 피어요.",
           "물 한 잔 주시겠어요?", "동생이 피아노를 배워요.", "비가 와서 우산을 샀어요.",
           "바나나와 사과를 좋아해요.", "주말에 친구를 만날 거예요.", "방이 아주 밝고 넓어요."),
    "zh": ("我每天早上喝牛奶。", "我们明天去北京。", "请把门打开。", "爸爸在公园里跑步。",
           "这本书非常有意思。", "外面下雨了，别忘了带伞。", "苹果和葡萄都很好吃。",
           "他每个周末都去爬山。", "这个包多少钱？", "猫咪在沙发上睡觉。", "我喜欢听音乐。",
           "冰箱里没有面包了。", "今天天气很好。", "她在学习弹钢琴。", "明年我想去法国旅游。"),
    "he": ("אני אוהב לשתות חלב בבוקר.", "מחר נלך לים.", "בבקשה פתח את הדלת.",
           "הילד משחק בכדור בפארק.", "אמא שלי מבשלת מרק טעים.", "הספר הזה מאוד מעניין.",
           "יש לי בית גדול עם גינה.", "אבא קנה מכונית חדשה.", "מה השעה עכשיו?",
           "הפרחים פורחים באביב.", "אני רוצה כוס מים קרים.", "האוטובוס מגיע בעוד חמש דקות.",
           "היא מנגנת בפסנתר כל ערב.", "בוקר טוב, מה שלומך?", "אנחנו אוכלים פיתה עם חומוס."),
    "ar": ("أحب أن أشرب الحليب في الصباح.", "سنذهب إلى البحر غدا.", "من فضلك افتح الباب.",
           "يلعب الولد بالكرة في الحديقة.", "أمي تطبخ طعاما لذيذا.", "هذا الكتاب مفيد جدا.",
           "أبي يعمل في المستشفى.", "السماء زرقاء والشمس مشرقة.", "كم ثمن هذه الحقيبة؟",
           "نحن نحب الموسيقى كثيرا.", "أريد كوبا من الماء البارد.", "القطار يصل بعد خمس دقائق.",
           "صباح الخير، كيف حالك؟", "اشتريت برتقالا وموزا من السوق.", "الطفل نائم في سريره."),
}
TRAIN_VARIANTS = ("", "+m1", "+m2", "+m3", "+m4", "+m7", "+f1", "+f2", "+f4", "+f5")  # the FAT's voicings
EVAL_VARIANTS = ("", "+f3")  # the default voice and a variant the training never hears
HELD_OUT_VARIANTS = ("+f3", "+m6")  # never trained on: `eval articulation`'s voices
# The validation split: written for it, dense in bilabials, in no other corpus (a test checks).
VALIDATION_SENTENCES = {
    "en": ("Bobby brought a bumpy melon to the picnic.", "Mark spilled maple syrup on the brown map.",
           "Pam and Paul swam past the empty boats.", "The member bought a bamboo lamp in Memphis.",
           "Baby Mia plays with a purple bubble pipe.", "Put the bread by the brim of the pan.",
           "Maybe the boy lost his blue mittens by the pump.", "Bart paid the bill before the film began."),
    "ca": ("La Maria beu una tassa de llet amb mel.", "El meu germà petit juga a pilota.",
           "Plou molt a Barcelona aquest matí.", "La mare compra pa i pomes al mercat.",
           "El pare pinta la porta de blau.", "Mon oncle viu a prop de la platja.",
           "M'agrada molt la música popular.", "Bon dia, em passes el paper blanc?"),
}
OTHER_TRAIN_VOICES = ("flite:awb", "flite:rms", "flite:kal16", "festival:kal", "festival:ked")  # slt is held out
VALIDATION_VOICES = ("flite:awb", "flite:rms", "flite:kal16", "festival:kal", "festival:ked", "festival:ona")
VALIDATION_VARIANT = "+m1"  # the eSpeak voicing that validates where no other synthesizer is installed
OTHER_VOICINGS = 3  # rate and pitch voicings of each English sentence per other voice


def training_variants() -> tuple[str, ...]:
    """The default voice and every eSpeak NG variant but the held-out ones."""
    return ("", *(v for v in tts.variants() if v not in HELD_OUT_VARIANTS))


@dataclass
class Utterance:
    """One spoken sentence: 16 kHz audio and its targets at 100 Hz."""

    lang: str
    text: str
    voice: str  # eSpeak voice name with variant, e.g. "de+f2"
    audio: np.ndarray  # (samples,) float32 at FEATURE_RATE
    targets: np.ndarray  # (F, 9) articulator values in [0, 1], frame k at k * 10 ms
    phonemes: Timeline[str] | None = None  # what the targets were made from (validation scores events)


def speak(text: str, lang: str, variant: str = "", rate: int = 165, pitch: int = 0) -> Utterance:
    """Synthesise one sentence with an eSpeak voice variant, rate (words/min) and pitch offset."""
    speech = tts.synthesize(text, lang, variant=variant, rate=rate, pitch_shift=pitch)
    track = articulate(speech.phonemes, speech.duration_ms, TARGET_FPS, lang, speech.audio, speech.sample_rate)
    voice = tts.LANGUAGES[lang] + variant
    audio = resample(speech.audio, speech.sample_rate, FEATURE_RATE)
    return Utterance(lang, text, voice, audio, track.values.astype(np.float32), speech.phonemes)


def speak_other(text: str, voice: str, stretch: float = 1.0, f0_hz: float | None = None) -> Utterance:
    """One sentence, in the voice's language, in another synthesizer's voice (`speech.synthesizers`)."""
    from mirrorface.speech.synthesizers import synthesize_other

    speech = synthesize_other(text, voice, stretch, f0_hz)
    track = articulate(speech.phonemes, speech.duration_ms, TARGET_FPS, speech.lang, speech.audio,
                       speech.sample_rate)
    audio = resample(speech.audio, speech.sample_rate, FEATURE_RATE)
    return Utterance(speech.lang, text, voice, audio, track.values.astype(np.float32), speech.phonemes)


def split(lang: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(training sentences, held-out sentences) of a language."""
    return SENTENCES[lang][:-HELD_OUT], SENTENCES[lang][-HELD_OUT:]


def training_corpus(seed: int, voices_per_sentence: int = 5, sentences_per_language: int | None = None,
                    other_voices: tuple[str, ...] = ()) -> list[Utterance]:
    """Every training sentence of every language in `voices_per_sentence` random eSpeak voicings,
    and the English ones in each of `other_voices` (another synthesizer's) in OTHER_VOICINGS
    random rates (duration x0.8-1.25) and, for Flite's, pitches (mean 90-230 Hz: male to female)."""
    rng = np.random.default_rng(seed)
    variants = training_variants()
    corpus = []
    for lang in SENTENCES:
        for text in split(lang)[0][:sentences_per_language]:
            for variant in rng.choice(variants, size=voices_per_sentence, replace=False):
                rate, pitch = int(rng.integers(130, 210)), int(rng.integers(-20, 31))
                corpus.append(speak(text, lang, str(variant), rate, pitch))
    for voice in other_voices:
        for text in split("en")[0][:sentences_per_language]:
            corpus.extend(speak_other(text, voice, round(float(rng.uniform(0.8, 1.25)), 2),
                                      round(float(rng.uniform(90, 230)))) for _ in range(OTHER_VOICINGS))
    return corpus


def held_out_corpus() -> list[Utterance]:
    """The held-out sentences of every language, in each of EVAL_VARIANTS at the default rate."""
    return [speak(text, lang, variant) for lang in SENTENCES for text in split(lang)[1]
            for variant in EVAL_VARIANTS]


def validation_corpus(voices: tuple[str, ...] = (), sentences_per_language: int | None = None) -> list[Utterance]:
    """What the closure threshold is calibrated on and recipes are chosen on: VALIDATION_SENTENCES,
    which no training run and no evaluation speaks, in each of `voices` (other synthesizers',
    `VALIDATION_VOICES`: the voices unlike eSpeak's that the threshold is for; on eSpeak's voices
    the closure output is sure either way), in its language, at its own rate and pitch. Without
    any voice, the English ones in the trained eSpeak variant VALIDATION_VARIANT. A quick run
    takes the first `sentences_per_language`."""
    from mirrorface.speech.synthesizers import language

    if voices:
        return [speak_other(text, voice) for voice in voices
                for text in VALIDATION_SENTENCES[language(voice)][:sentences_per_language]]
    return [speak(text, "en", VALIDATION_VARIANT) for text in VALIDATION_SENTENCES["en"][:sentences_per_language]]


def stretch_targets(targets: np.ndarray, speed: float, n_frames: int) -> np.ndarray:
    """(F, P) targets of audio played `speed` times faster -> (n_frames, P), edges held."""
    times = np.arange(len(targets)) * 10.0
    wanted = np.arange(n_frames) * 10.0 * speed  # frame t of the fast audio is t * speed originally
    return np.stack([np.interp(wanted, times, col) for col in targets.T], axis=1).astype(np.float32)


def add_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add white, pink or brown noise at `snr_db` below the speech's mean power."""
    n = next_fast_len(len(audio), real=True)  # an FFT of a prime length would be slow
    white = rng.standard_normal(n, dtype=np.float32)
    colour = rng.integers(3)  # 0 white, 1 pink (1/f), 2 brown (1/f^2): hiss, room, rumble
    if colour:
        white = coloured(white, colour)
    white = white[: len(audio)]
    power = np.mean(audio.astype(np.float64) ** 2) + 1e-12
    noise = white * np.sqrt(power / 10 ** (snr_db / 10) / (np.mean(white**2) + 1e-12))
    return (audio + noise).astype(np.float32)


def add_reverb(audio: np.ndarray, rt60_s: float, rng: np.random.Generator) -> np.ndarray:
    """Convolve with a synthetic room: a direct path plus noise decaying by 60 dB in `rt60_s`."""
    t = np.arange(int(rt60_s * FEATURE_RATE)) / FEATURE_RATE
    ir = rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60_s) * 0.3
    ir[0] = 1.0
    wet = fftconvolve(audio, ir)[: len(audio)]
    return (wet * np.sqrt(np.sum(audio**2) / (np.sum(wet**2) + 1e-12))).astype(np.float32)


def add_codec(audio: np.ndarray) -> np.ndarray:
    """A telephone line: band-limited to 8 kHz sampling, then 8-bit mu-law (G.711-like)."""
    narrow = resample_poly(resample_poly(audio, 1, 2), 2, 1)[: len(audio)].astype(np.float32)
    peak = max(float(np.abs(narrow).max()), 1e-6)
    x = np.clip(narrow / peak, -1, 1)
    mu = 255.0
    coded = np.round(np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu) * 127) / 127
    return (np.sign(coded) * np.expm1(np.abs(coded) * np.log1p(mu)) / mu * peak).astype(np.float32)


def nonspeech_example(frames: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Sound that is not speech (`speech.nonspeech`), `frames` 10 ms frames long, in a room half the
    time, and the articulation of silence as its target: ((samples,) audio, (frames + 1, 9) targets)."""
    audio = nonspeech_audio(frames * int(FEATURE_RATE / TARGET_FPS), rng)
    if rng.random() < 0.5:
        audio = np.clip(add_reverb(audio, rng.uniform(0.1, 0.5), rng), -1.0, 1.0)
    silence = articulate(Timeline([]), frames * 10.0, TARGET_FPS).values
    return audio, np.concatenate([silence, silence[-1:]]).astype(np.float32)


def add_background(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Mix non-speech sound (`nonspeech_audio`: music, knocks, hum, noise) `snr_db` below the speech's power."""
    background = nonspeech_audio(len(audio), rng).astype(np.float64)
    power = np.mean(audio.astype(np.float64) ** 2) + 1e-12
    scale = np.sqrt(power / 10 ** (snr_db / 10) / (np.mean(background**2) + 1e-12))
    return (audio + background * scale).astype(np.float32)


def augment(utt: Utterance, rng: np.random.Generator, background: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A random acoustic variant of an utterance: ((samples,) audio, (F, 9) targets at 100 Hz); with
    probability `background`, music, knocks or hum play under the speech (5-25 dB below it)."""
    speed = rng.uniform(0.9, 1.1)
    down = int(round(100 * speed))  # speed in steps of 0.01: resample_poly needs integers
    audio = resample_poly(utt.audio, 100, down).astype(np.float32) if down != 100 else utt.audio
    targets = stretch_targets(utt.targets, down / 100, 1 + len(audio) // int(FEATURE_RATE / TARGET_FPS))
    if rng.random() < 0.5:
        audio = add_reverb(audio, rng.uniform(0.1, 0.5), rng)
    if rng.random() < 0.2:
        audio = add_codec(audio)
    if rng.random() < 0.7:
        audio = add_noise(audio, rng.uniform(10, 30), rng)
    if background and rng.random() < background:  # no draw at 0: older runs repeat exactly
        audio = add_background(audio, rng.uniform(5, 25), rng)
    audio = audio * 10 ** (rng.uniform(-24, 6) / 20)  # microphones and singers differ in level
    return np.clip(audio, -1.0, 1.0), targets
