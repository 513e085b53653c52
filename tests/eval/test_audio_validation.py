"""The audio model's validation scores: the eval's own figures, at each closure threshold asked for."""

from __future__ import annotations

import torch

from mirrorface.articulation.phonemes import ARTICULATORS
from mirrorface.eval.audio_validation import validation_scores
from mirrorface.models.audio2artic import Audio2Artic, Audio2ArticConfig
from mirrorface.speech import audio_corpus


def test_validation_scores_follow_the_threshold_and_leave_the_model_as_it_was():
    model = Audio2Artic(Audio2ArticConfig(channels=16, layers=2, closure_threshold=0.5))
    with torch.no_grad():  # a mouth wide open, teeth hidden, whatever it hears; closure probability 1/2
        model.head.weight.zero_()
        wide = {"jaw": 10.0, "lip_open": 10.0}
        model.head.bias.copy_(torch.tensor([wide.get(name, -10.0) for name in ARTICULATORS] + [0.0]))
    corpus = [audio_corpus.speak(audio_corpus.VALIDATION_SENTENCES["en"][0], "en", audio_corpus.VALIDATION_VARIANT)]
    scores = validation_scores(model, corpus, (0.25, 0.75))
    shut, wide_open = scores[0.25]["per_voice"]["en-us+m1"], scores[0.75]["per_voice"]["en-us+m1"]
    assert shut["bilabial"]["n"] >= 4  # "Bobby brought a bumpy melon to the picnic."
    assert shut["bilabial"]["rate"] == 1.0 and shut["vowel_closed"]["rate"] == 1.0  # every frame passes 0.25
    assert wide_open["bilabial"]["rate"] == 0.0 and wide_open["vowel_closed"]["rate"] == 0.0  # none passes 0.75
    assert model.config.closure_threshold == 0.5


def test_the_threshold_is_the_one_with_most_hits_within_the_vowel_budget():
    from mirrorface.eval.audio_validation import THRESHOLDS, pick_threshold

    scores = {t: {"all": {"bilabial": {"rate": 1 - t / 2}, "vowel_closed": {"rate": 0.3 - t / 2}}}
              for t in THRESHOLDS}  # lower thresholds: more hits, more vowel time shut
    assert pick_threshold(scores, max_vowel_shut=0.08) == 0.45  # 0.4 would shut 10% of vowel time
    assert pick_threshold(scores, max_vowel_shut=-1.0) == 0.95  # none within budget: the one that shuts least
