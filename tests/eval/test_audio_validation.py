"""The audio model's validation scores: the eval's own figures, at each closure threshold asked
for, and the threshold chosen by them and kept with the model."""

from __future__ import annotations

import json

import torch

from mirrorface.articulation.phonemes import ARTICULATORS
from mirrorface.eval.audio_validation import (
    MAX_VOWEL_SHUT,
    THRESHOLDS,
    calibrate_audio_model,
    percent,
    pick_threshold,
    validation_scores,
)
from mirrorface.models.audio2artic import Audio2Artic, Audio2ArticConfig
from mirrorface.speech import audio_corpus
from mirrorface.speech.audio_model import save_audio_model


def wide_open_model(closure_threshold: float = 0.5) -> Audio2Artic:
    """A mouth wide open, teeth hidden, whatever it hears; closure probability 1/2."""
    model = Audio2Artic(Audio2ArticConfig(channels=16, layers=2, closure_threshold=closure_threshold))
    with torch.no_grad():
        model.head.weight.zero_()
        wide = {"jaw": 10.0, "lip_open": 10.0}
        model.head.bias.copy_(torch.tensor([wide.get(name, -10.0) for name in ARTICULATORS] + [0.0]))
    return model.eval()


def test_validation_scores_follow_the_threshold_and_leave_the_model_as_it_was():
    model = wide_open_model()
    corpus = [audio_corpus.speak(audio_corpus.VALIDATION_SENTENCES["en"][0], "en", audio_corpus.VALIDATION_VARIANT)]
    scores = validation_scores(model, corpus, (0.25, 0.75))
    shut, wide_open = scores[0.25]["per_voice"]["en-us+m1"], scores[0.75]["per_voice"]["en-us+m1"]
    assert shut["bilabial"]["n"] >= 4  # "Bobby brought a bumpy melon to the picnic."
    assert shut["bilabial"]["rate"] == 1.0 and shut["vowel_closed"]["rate"] == 1.0  # every frame passes 0.25
    assert wide_open["bilabial"]["rate"] == 0.0 and wide_open["vowel_closed"]["rate"] == 0.0  # none passes 0.75
    assert model.config.closure_threshold == 0.5


def test_the_threshold_is_the_one_with_most_hits_within_the_vowel_budget():
    scores = {t: {"all": {"bilabial": {"rate": 1 - t / 2}, "vowel_closed": {"rate": 0.3 - t / 2}}}
              for t in THRESHOLDS}  # lower thresholds: more hits, more vowel time shut
    assert pick_threshold(scores, max_vowel_shut=0.08) == 0.45  # 0.4 would shut 10% of vowel time
    assert pick_threshold(scores, max_vowel_shut=-1.0) == 0.95  # none within budget: the one that shuts least


def test_a_trained_model_is_calibrated_again_in_place_keeping_its_training_record(tmp_path):
    # Below 1/2 every frame is shut (all vowel time: over budget); from 1/2 up none is, so no hit
    # anywhere: the tie goes to the highest threshold. The stale 0.05 is on the grid but never chosen.
    assert 0.05 in THRESHOLDS and 0.95 in THRESHOLDS
    record = {"data": {"seed": 3, "steps": 30}, "closure_calibration": {}}
    save_audio_model(wide_open_model(closure_threshold=0.05), tmp_path, record)
    weights = (tmp_path / "model.safetensors").read_bytes()
    figures = calibrate_audio_model(tmp_path, sentences_per_language=1)
    config = json.loads((tmp_path / "config.json").read_text())
    assert figures["threshold"] == config["model"]["closure_threshold"] == 0.95
    assert figures["max_vowel_shut"] == MAX_VOWEL_SHUT and figures["validation"]["all"]["vowel_closed"] == 0.0
    assert config["training"]["closure_calibration"] == figures
    assert config["training"]["data"] == record["data"]  # the training record is kept
    assert (tmp_path / "model.safetensors").read_bytes() == weights  # and the weights


def test_rates_print_as_percentages_or_a_dash_where_nothing_was_scored():
    assert percent(0.4251) == "42.5%" and percent(0.0) == "0.0%" and percent(None) == "-"
