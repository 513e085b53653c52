import json

from mirrorface.articulation.coarticulation import articulate
from mirrorface.export.rhubarb import mouth_cues, to_json, to_tsv
from mirrorface.speech.tts import synthesize
from mirrorface.timeline import Timed, Timeline


def cues_of(text, fps=100.0):
    s = synthesize(text)
    return mouth_cues(articulate(s.phonemes, s.duration_ms, fps, "en", s.audio, s.sample_rate))


def test_papa_has_two_closed_cues_and_starts_and_ends_idle():
    cues = cues_of("papa")
    assert [c.value for c in cues].count("A") == 2
    assert cues[0].value in ("X", "A") and cues[-1].value != "A"  # shut before the first p, open after
    assert all(a.end == b.start for a, b in zip(cues, cues[1:], strict=False))


def test_shapes_for_f_and_oo():
    assert "G" in {c.value for c in cues_of("five")}
    assert "F" in {c.value for c in cues_of("you too")}


def test_formats_match_rhubarb():
    cues = Timeline([Timed(0, 50, "X"), Timed(50, 120, "A"), Timed(120, 300, "D")])
    data = json.loads(to_json(cues, "hello.wav"))
    assert data["metadata"] == {"soundFile": "hello.wav", "duration": 0.3}
    assert data["mouthCues"][1] == {"start": 0.05, "end": 0.12, "value": "A"}
    assert to_tsv(cues) == "0.00\tX\n0.05\tA\n0.12\tD\n0.30\tX\n"
