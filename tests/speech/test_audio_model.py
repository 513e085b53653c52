"""The learned audio -> articulation path: features, corpus, training, checkpoints, the shipped model."""

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from mirrorface.articulation.phonemes import ARTICULATORS
from mirrorface.cli.train import QUICK, QUICK_MODEL, app
from mirrorface.errors import MirrorfaceError
from mirrorface.models.audio2artic import BILABIAL, Audio2Artic, Audio2ArticConfig
from mirrorface.speech import audio_corpus
from mirrorface.speech.audio_model import (
    DEFAULT_CHECKPOINT,
    TrainConfig,
    _batch,
    closures_from_prediction,
    evaluate_audio_model,
    features,
    load_audio_model,
    predict_articulation,
    predict_frames,
    save_audio_model,
    train_audio_model,
)
from mirrorface.speech.features import log_mel, mel_filterbank
from mirrorface.speech.nonspeech import coloured
from mirrorface.speech.synthesizers import available
from mirrorface.speech.tts import LANGUAGES, synthesize

QUICK_CONFIG = TrainConfig(**QUICK)
QUICK_MODEL_CONFIG = Audio2ArticConfig(**QUICK_MODEL)


def test_log_mel_has_one_frame_per_hop_and_is_finite():
    tone = np.sin(2 * np.pi * 1000 * np.arange(22050) / 22050).astype(np.float32)
    mel = log_mel(tone, 22050)
    assert mel.shape == (101, 40) and mel.dtype == np.float32  # 1 + 16000 // 160 frames
    assert np.isfinite(mel).all()
    centres = np.argmax(mel_filterbank(16000, 512, 40, 60.0, 7600.0), axis=1) * 16000 / 512
    assert abs(centres[np.argmax(mel[50])] - 1000) < 100  # the loudest band holds the tone
    assert np.isfinite(log_mel(np.zeros(10), 44100)).all()  # silence: the floor, not -inf
    assert log_mel(np.stack([tone, tone], 1), 22050, n_mels=80, hop_ms=12.5).shape == (81, 80)


def test_log_mel_refuses_empty_or_broken_audio():
    for bad in (np.zeros(0), np.array([0.0, np.nan])):
        with pytest.raises(MirrorfaceError):
            log_mel(bad, 16000)


def test_corpus_targets_cover_the_audio_and_languages_split_cleanly():
    utt = audio_corpus.speak("Bob made a map.", "en", "+m3", 180, 10)
    assert abs(len(utt.targets) * 10 - len(utt.audio) / 16) <= 20  # 100 Hz targets, 16 kHz audio
    assert utt.targets.max() == pytest.approx(1.0)  # the closures of b, m, p
    assert set(audio_corpus.SENTENCES) == set(LANGUAGES)
    for lang in LANGUAGES:
        train, held_out = audio_corpus.split(lang)
        assert len(train) >= 10 and len(held_out) == audio_corpus.HELD_OUT and not set(train) & set(held_out)
    audio, targets = audio_corpus.augment(utt, np.random.default_rng(0))
    assert np.isfinite(audio).all() and np.abs(audio).max() <= 1
    assert len(targets) == 1 + len(audio) // 160


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("a2a")
    return out, train_audio_model(out, QUICK_CONFIG, QUICK_MODEL_CONFIG)


QUICK_LOSS_RATIO = 0.95  # the quick run's loss on a fixed batch, after / before, must stay under this: 0.90 measured


def test_quick_training_lowers_the_loss_and_writes_a_checkpoint(quick_run):
    out, result = quick_run
    assert result["step"] == 30 and len(result["losses"]) == 30
    # a step's loss swings with its batch's share of non-speech clips, so the weights training
    # began from (the same seed) and the trained ones are scored on one batch of their own
    trained = load_audio_model(out)
    torch.manual_seed(QUICK_CONFIG.seed)
    initial = Audio2Artic(trained.config)
    initial.set_normalizer(trained.mel_mean, trained.mel_std)
    corpus = [audio_corpus.speak(text, "en") for text in ("Bob made a map.", "Five pale moths.")]
    batch = _batch(corpus, replace(QUICK_CONFIG, batch_size=16), trained.config, np.random.default_rng(5))
    with torch.no_grad():
        before, after = (model.eval()(*batch)[1].item() for model in (initial, trained))
    assert after < QUICK_LOSS_RATIO * before, (before, after)
    assert {p.name for p in out.iterdir()} == {"model.safetensors", "config.json", "train_state.safetensors",
                                             "train_state.json"}


def test_checkpoint_round_trip_rebuilds_from_config_alone(quick_run, tmp_path):
    model = load_audio_model(quick_run[0])
    assert replace(model.config, closure_threshold=QUICK_MODEL_CONFIG.closure_threshold) == QUICK_MODEL_CONFIG
    save_audio_model(model, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    again = Audio2Artic(Audio2ArticConfig(**config["model"]))
    from safetensors.torch import load_file

    again.load_state_dict(load_file(str(tmp_path / "model.safetensors")))
    mel = torch.randn(1, 50, QUICK_MODEL_CONFIG.n_mels)
    assert torch.equal(model(mel)[0][0], again.eval()(mel)[0][0])
    assert not torch.equal(again.mel_std, torch.ones_like(again.mel_std))  # the normaliser travels


def test_an_interrupted_run_resumes_where_it_saved_and_matches_a_straight_run(tmp_path, monkeypatch):
    # eSpeak NG's waveforms drift by a few samples from call to call (internal state), so the
    # corpus is synthesised once and handed to every run: then resuming must be exact.
    corpus = audio_corpus.training_corpus(0, 1, 2)
    monkeypatch.setattr(audio_corpus, "training_corpus", lambda *args: corpus)
    config = TrainConfig(**{**QUICK, "steps": 6, "save_every": 4})
    straight = train_audio_model(tmp_path / "straight", config, QUICK_MODEL_CONFIG)

    def interrupt(step, total, loss):
        if step == 5:  # after the checkpoint of step 4
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_audio_model(tmp_path / "split", config, QUICK_MODEL_CONFIG, progress=interrupt)
    assert json.loads((tmp_path / "split" / "train_state.json").read_text())["step"] == 4
    resumed = train_audio_model(tmp_path / "split", config, QUICK_MODEL_CONFIG, resume=True)
    assert resumed["step"] == 6 and len(resumed["losses"]) == 2
    assert json.loads((tmp_path / "split" / "train_state.json").read_text())["step"] == 6
    assert np.allclose(resumed["losses"], straight["losses"][4:], rtol=1e-5)
    # a run saved before non-speech clips existed goes on without them, as it began
    config_file = tmp_path / "straight" / "config.json"
    saved = json.loads(config_file.read_text())
    assert saved["training"]["data"].pop("nonspeech") == config.nonspeech > 0
    config_file.write_text(json.dumps(saved))
    train_audio_model(tmp_path / "straight", replace(config, steps=7), QUICK_MODEL_CONFIG, resume=True)
    assert json.loads(config_file.read_text())["training"]["data"]["nonspeech"] == 0.0


def test_missing_checkpoints_and_resume_state_are_one_line_errors(tmp_path):
    with pytest.raises(MirrorfaceError, match="no audio model"):
        load_audio_model(tmp_path)
    with pytest.raises(MirrorfaceError, match="nothing to resume"):
        train_audio_model(tmp_path, QUICK_CONFIG, QUICK_MODEL_CONFIG, resume=True)


def test_predictions_land_on_frame_times(quick_run):
    model = load_audio_model(quick_run[0])
    audio = np.random.default_rng(0).normal(0, 0.1, 22050 * 3 // 2).astype(np.float32)  # 1.5 s
    values = predict_articulation(model, audio, 22050, fps=30)
    assert values.shape == (45, 9) and values.dtype == np.float32  # ceil(1500 ms * 30 / 1000)
    frames, prob = predict_frames(model, audio, 22050)
    assert frames.shape == (151, 9) and prob.shape == (151,)
    assert np.allclose(values[3], frames[10], atol=1e-6)  # 100 ms is frame 3 at 30 fps, 10 at 100 Hz


def test_training_leaves_the_closure_threshold_to_the_calibration(quick_run):
    config = json.loads((quick_run[0] / "config.json").read_text())
    assert config["model"]["closure_threshold"] == QUICK_MODEL_CONFIG.closure_threshold  # the config's own
    assert "closure_calibration" not in config["training"]  # eval.audio_validation chooses it


def test_the_validation_split_shares_no_sentence_or_voice_with_training_or_any_evaluation():
    from mirrorface.eval.unseen_speech import SENTENCES as ARTICULATION_TEST
    from mirrorface.eval.unseen_speech import VOICES as ARTICULATION_VOICES
    from mirrorface.speech import corpus
    from mirrorface.speech.accuracy import SENTENCES as AUDIO_PATH_TEST
    from mirrorface.speech.accuracy import TUNING_SENTENCES

    validation = {text for texts in audio_corpus.VALIDATION_SENTENCES.values() for text in texts}
    seen = {text for texts in audio_corpus.SENTENCES.values() for text in texts}  # training and eval audio
    seen |= set(ARTICULATION_TEST) | set(AUDIO_PATH_TEST) | set(TUNING_SENTENCES) | set(corpus.TEST_SENTENCES)
    assert len(validation) >= 16 and not validation & seen
    voices = set(audio_corpus.VALIDATION_VOICES)
    assert not voices & {"flite:slt", "festival:slt_hts"}  # the held-out speaker
    assert "festival:ona" in voices and "festival:ona" not in audio_corpus.OTHER_TRAIN_VOICES  # never trained
    espeak = audio_corpus.validation_corpus()  # where no other synthesizer is installed
    assert {u.voice for u in espeak} == {"en-us" + audio_corpus.VALIDATION_VARIANT}
    assert {u.text for u in espeak} == set(audio_corpus.VALIDATION_SENTENCES["en"])
    eval_variants = set(audio_corpus.HELD_OUT_VARIANTS) | set(audio_corpus.EVAL_VARIANTS)
    assert audio_corpus.VALIDATION_VARIANT not in eval_variants | {v for _, v, _ in ARTICULATION_VOICES}
    if available("festival:ona"):  # each voice speaks the validation sentences of its own language
        others = audio_corpus.validation_corpus(("festival:ona",))
        assert {(u.voice, u.lang) for u in others} == {("festival:ona", "ca")}
        assert {u.text for u in others} == set(audio_corpus.VALIDATION_SENTENCES["ca"])


def test_the_lips_shut_wherever_the_closure_output_passes_the_threshold(quick_run):
    model = load_audio_model(quick_run[0])
    audio = np.random.default_rng(1).normal(0, 0.1, 16000).astype(np.float32)
    model.config = replace(model.config, closure_threshold=1.0)  # nothing passes: the raw output
    raw, prob = predict_frames(model, audio, 16000)
    assert np.all(raw[:, BILABIAL] < 1.0)
    model.config = replace(model.config, closure_threshold=float(np.median(prob)))
    shaped, _ = predict_frames(model, audio, 16000)
    above = prob > np.median(prob)
    assert np.all(shaped[above, BILABIAL] == 1.0) and np.array_equal(shaped[~above], raw[~above])


def test_vtlp_warp_moves_a_formant_up_the_bands():
    tone = np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000).astype(np.float32)
    config = Audio2ArticConfig()
    energy = {warp: np.exp(features(tone, 16000, config, warp)).mean(0) for warp in (0.85, 1.0, 1.05)}
    band = {warp: float(np.sum(np.arange(len(e)) * e) / np.sum(e)) for warp, e in energy.items()}
    assert band[0.85] > band[1.0] + 0.5 and band[1.0] > band[1.05]  # a shorter vocal tract: higher up


def test_closure_intervals_from_probabilities():
    prob = np.zeros(40)
    prob[5:10] = 0.9  # 50 ms: kept as is
    prob[20] = 0.6  # one frame: widened to 30 ms about its centre
    prob[30:32] = prob[33:35] = 0.8  # two runs that touch once widened: merged
    closures = closures_from_prediction(prob, fps=100)
    assert [(c.start, c.end) for c in closures] == [(45, 95), (185, 215), (290, 350)]
    assert all(c.duration >= 30 for c in closures)
    assert len(closures_from_prediction(prob, threshold=0.95)) == 0
    values = np.zeros((40, 9))
    values[:, 5] = prob  # articulator values: the bilabial column decides
    assert list(closures_from_prediction(values, fps=100)) == list(closures)


def test_cli_quick_trains_and_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["audio", "--out", str(tmp_path), "--quick", "--quiet", "--steps", "3",
                                 "--nonspeech", "0.3"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "config.json").is_file()
    config = json.loads((tmp_path / "config.json").read_text())  # trained, then calibrated
    assert config["training"]["data"]["nonspeech"] == 0.3
    calibration = config["training"]["closure_calibration"]
    assert config["model"]["closure_threshold"] == calibration["threshold"]
    assert 0.05 <= calibration["threshold"] <= 0.95
    assert 0 <= calibration["validation"]["all"]["bilabial"] <= 1  # the validation figures it was chosen by
    again = runner.invoke(app, ["audio", "--out", str(tmp_path), "--quick", "--quiet"])
    assert isinstance(again.exception, MirrorfaceError) and "--resume" in str(again.exception)
    for flags, message in ((["--nonspeech", "1"], "below 1"), (["--resume", "--nonspeech", "0"], "its own share")):
        refused = runner.invoke(app, ["audio", "--out", str(tmp_path / "other"), "--quick", "--quiet", *flags])
        assert isinstance(refused.exception, MirrorfaceError) and message in str(refused.exception)


@pytest.fixture(scope="module")
def shipped():
    if not (DEFAULT_CHECKPOINT / "model.safetensors").is_file():
        pytest.fail(f"the default checkpoint is missing from {DEFAULT_CHECKPOINT}")
    return load_audio_model()


def test_the_shipped_model_beats_a_constant_on_held_out_speech(shipped):
    scores = evaluate_audio_model(shipped)
    assert scores["all"]["lip_open_mae"] < 0.8 * scores["all"]["lip_open_mae_constant"]
    assert scores["all"]["closure_f1"] > 0.6
    for lang, s in scores["languages"].items():
        assert s["lip_open_mae"] < s["lip_open_mae_constant"], lang


def test_the_shipped_model_closes_the_lips_for_papa_mama(shipped):
    found = []
    for lang in ("en", "fr", "es", "it", "de"):
        speech = synthesize("papa mama", lang)
        _, prob = predict_frames(shipped, speech.audio, speech.sample_rate)
        found.append(len(closures_from_prediction(prob)) >= 1)
    assert sum(found) >= 2, found


def test_training_hears_every_espeak_variant_but_the_held_out_voices():
    variants = audio_corpus.training_variants()
    assert len(variants) > 50 and "+klatt" in variants and "" in variants
    assert not set(audio_corpus.HELD_OUT_VARIANTS) & set(variants)


def test_the_codec_keeps_the_speech_band_and_quantises_it():
    t = np.arange(16000) / 16000
    speech = 0.3 * np.sin(2 * np.pi * 300 * t) + 0.2 * np.sin(2 * np.pi * 6000 * t)  # 6 kHz: above the phone band
    coded = audio_corpus.add_codec(speech.astype(np.float32))
    spectrum = np.abs(np.fft.rfft(coded))
    assert spectrum[300] > 50 * spectrum[6000]  # what a telephone line passes, and what it cuts
    assert len(np.unique(np.round(coded, 6))) <= 256  # 8-bit mu-law: at most 256 levels


def test_the_shipped_model_leaves_the_mouth_at_rest_on_noise_and_music_but_not_on_speech(shipped):
    rng = np.random.default_rng(0)
    n, lip = 48000, ARTICULATORS.index("lip_open")
    pink = coloured(rng.standard_normal(n), 1.0)
    t = np.arange(4000) / 16000
    melody = np.concatenate([sum(np.sin(2 * np.pi * k * f * t) / k for k in range(1, 6))
                             for f in 220 * 2 ** (rng.integers(0, 12, 12) / 12)])
    for name, sound in (("pink noise", pink), ("melody", melody)):
        sound = (sound / np.sqrt(np.mean(sound**2)) * 0.1).astype(np.float32)  # -20 dBFS
        values, prob = predict_frames(shipped, sound, 16000)
        # the rest pose opens the lips 0.05; a model that never heard non-speech: 0.14 and 0.50,
        # with closures on half the frames
        assert values[:, lip].mean() < 0.12 and values[:, lip].std() < 0.08, name
        assert np.mean(prob > shipped.config.closure_threshold) < 0.05, name
    speech = synthesize("My programming allows me to process data.")
    values, _ = predict_frames(shipped, speech.audio, speech.sample_rate)
    assert values[:, lip].mean() > 0.2 and values[:, lip].std() > 0.15
