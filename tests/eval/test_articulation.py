"""Articulation metrics on constructed inputs with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from mirrorface.articulation.closure import closure_intervals
from mirrorface.articulation.coarticulation import A, articulate
from mirrorface.articulation.phonemes import ARTICULATORS, BILABIAL, OPEN
from mirrorface.errors import MirrorfaceError
from mirrorface.eval.articulation import (
    CENTRE,
    CLOSURE_THRESHOLD_MM,
    closed_time_fraction,
    closure_hit_rate,
    closure_onsets_ms,
    delayed,
    false_closure_rate,
    intervals,
    labiodental_contact,
    labiodental_contact_rate,
    lip_audio_offset_ms,
    lip_gap_mm,
    mean_abs_jerk,
    stats,
    target_gap_mm,
    target_labiodental_contact,
)
from mirrorface.face.sim.painter import Painter
from mirrorface.face.sim.skin import N_LIP
from mirrorface.timeline import Timed, Timeline


def pose(spec, **values):
    p = spec.neutral.copy()
    for name, v in values.items():
        p[spec.index_of(name)] = v
    return p


# -- geometry ---------------------------------------------------------------------------------------

def test_lip_gap_reads_closed_rest_and_open(lips10):
    face = Painter(lips10)
    shut = pose(lips10, jaw=0.0, upper_lip_center=0.2, lower_lip_center=0.8)
    jaws = [pose(lips10, jaw=j) for j in (0.2, 0.5, 0.8, 1.0)]
    gaps = lip_gap_mm(face, np.array([shut, lips10.neutral, *jaws]))
    assert gaps.shape == (6,)
    assert gaps[0] < 0.4  # lips pressed together: the skin's hairline contact gap
    assert CLOSURE_THRESHOLD_MM < gaps[1] < 3.0  # at rest the lips are slightly parted, not closed
    assert np.all(np.diff(gaps[1:]) > 0) and gaps[-1] > 26.0  # the jaw opens the mouth


def test_executed_closure_is_measured_after_the_servos_arrive(sim_face, lips10):
    shut = pose(lips10, jaw=0.0, upper_lip_center=0.2, lower_lip_center=0.8)
    open_ = pose(lips10, jaw=0.8)
    positions = []
    for command in [open_] * 15 + [shut] * 15:
        sim_face.send(command)
        sim_face.advance(1 / 30)
        positions.append(sim_face.read_positions())
    gaps = lip_gap_mm(sim_face.painter, np.array(positions))
    assert gaps[14] > 15 and gaps[-1] < CLOSURE_THRESHOLD_MM
    assert gaps[15] > gaps[-1] + 5  # one frame after the command the lips are still on their way


def test_target_gap_is_the_centre_opening_of_the_drawn_mouth():
    values = np.zeros(len(ARTICULATORS))
    values[A["jaw"]], values[A["lip_open"]] = 1.0, 1.0
    # Without rounding, spreading or teeth, the drawn gap is 26 mm * (1 - t^2) ** 0.45 along the lip.
    t = np.linspace(-1, 1, N_LIP)[CENTRE]
    expected = 26.0 * np.mean((1 - t**2) ** 0.45)
    gaps = target_gap_mm(np.stack([values, np.array(BILABIAL.target), np.array(OPEN.target)]))
    assert gaps[0] == pytest.approx(expected, rel=1e-9)
    assert gaps[1] == 0.0 and gaps[2] > 15.0


def test_labiodental_contact_needs_the_lower_lip_over_the_teeth_with_the_lips_apart(lips10):
    face = Painter(lips10)
    bite = pose(lips10, lower_lip_roll=0.0, lower_lip_center=0.8, upper_lip_center=0.7)
    shut = pose(lips10, jaw=0.0, upper_lip_center=0.2, lower_lip_center=0.8)
    jaw_shut = pose(lips10, jaw=0.0)  # the resting lower lip, just below the teeth edge
    contact = labiodental_contact(face, np.array([bite, lips10.neutral, jaw_shut, shut, pose(lips10, jaw=0.7)]))
    assert contact.tolist() == [True, False, False, False, False]


# -- intervals --------------------------------------------------------------------------------------

# "_ m a f a p" by hand: a pause, /m/, /a/, /f/, /a/ running into the closure of /p/ (released at 700).
PHONEMES = Timeline([Timed(0, 100, "_"), Timed(100, 180, "m"), Timed(180, 400, "a"), Timed(400, 480, "f"),
                     Timed(480, 700, "a"), Timed(700, 780, "p"), Timed(780, 900, "_")])


def test_intervals_from_phonemes():
    closures = [(c.start, c.end) for c in closure_intervals(PHONEMES)]
    assert closures == [(100, 180), (650, 708)]  # /p/: 50 ms of closure before its release
    assert intervals(PHONEMES, "bilabial") == closures
    assert intervals(PHONEMES, "labiodental") == [(400, 480)]
    assert intervals(PHONEMES, "open_vowel") == [(180, 400), (480, 650)]  # trimmed where /p/ closes
    with pytest.raises(MirrorfaceError):
        intervals(PHONEMES, "dental")


def test_intervals_from_a_track_agree_with_the_phonemes():
    track = articulate(PHONEMES, 900, fps=100)
    assert intervals(track, "bilabial") == intervals(PHONEMES, "bilabial")
    assert intervals(track, "labiodental") == [(400, 480)]
    assert intervals(track, "open_vowel") == [(180, 400), (480, 650)]


def test_vowel_intervals_take_every_vowel_minus_closures():
    spoken = Timeline([Timed(0, 100, "b"), Timed(100, 300, "i:"), Timed(300, 500, "a"), Timed(500, 600, "m")])
    assert intervals(spoken, "vowel") == [(100, 300), (300, 500)]  # /i:/ is a spread vowel, /a/ open
    assert intervals(spoken, "open_vowel") == [(300, 500)]
    assert intervals(PHONEMES, "vowel") == [(180, 400), (480, 650)]


def test_intervals_use_the_languages_phoneme_table():
    assert intervals(PHONEMES, "labiodental", lang="en") == [(400, 480)]
    assert intervals(PHONEMES, "bilabial", lang="en") == [(100, 180), (650, 708)]


# -- rates ------------------------------------------------------------------------------------------

FPS = 100  # frame k at 10 k ms


def test_closure_hit_needs_half_of_the_frames():
    gap = np.full(100, 10.0)
    gap[10:12] = 0.2  # 2 of the 4 frames of [100, 140): a hit
    gap[50:51] = 0.2  # 1 of the 4 frames of [500, 540): a miss
    gap[80:84] = 0.99  # just under the threshold for all of [800, 840): a hit
    spans = [(100, 140), (500, 540), (800, 840), (2000, 2100)]  # the last lies past the clip: not counted
    assert closure_hit_rate(gap, FPS, spans) == {"hits": 2, "n": 3, "rate": pytest.approx(2 / 3)}
    assert closure_hit_rate(gap, FPS, spans, threshold_mm=0.5)["hits"] == 1
    assert closure_hit_rate(gap, FPS, [])["rate"] is None


def test_a_closure_shorter_than_a_frame_is_judged_by_the_frame_nearest_its_middle():
    gap = np.full(10, 10.0)
    gap[3] = 0.0  # frame 3 stands at 100 ms at 30 fps
    assert closure_hit_rate(gap, 30, [(90, 115)])["hits"] == 1  # no frame inside; nearest the middle is 3
    assert closure_hit_rate(gap, 30, [(120, 130)])["hits"] == 0  # nearest the middle is frame 4


def test_the_target_mouth_itself_scores_every_closure_and_no_false_one():
    track = articulate(PHONEMES, 900, fps=30)
    gap = target_gap_mm(track.values)
    assert closure_hit_rate(gap, 30, intervals(PHONEMES, "bilabial"))["rate"] == 1.0
    assert false_closure_rate(gap, 30, intervals(PHONEMES, "open_vowel"))["rate"] == 0.0
    assert false_closure_rate(np.zeros_like(gap), 30, intervals(PHONEMES, "open_vowel"))["rate"] == 1.0


def test_labiodental_and_false_closure_rates():
    contact = np.zeros(50, bool)
    contact[10:13] = True
    assert labiodental_contact_rate(contact, FPS, [(100, 160), (300, 360)]) == {"hits": 1, "n": 2, "rate": 0.5}
    gap = np.full(50, 12.0)
    gap[20:30] = 0.1  # a mouth shut through the second vowel
    result = false_closure_rate(gap, FPS, [(0, 150), (200, 300), (300, 400)])
    assert result == {"closed": 1, "n": 3, "rate": pytest.approx(1 / 3)}


def test_closed_time_weighs_every_frame():
    gap = np.full(60, 12.0)
    gap[20:25] = 0.1  # shut through half of the vowel [200, 300): below false_closure_rate's "half"
    spans = [(0, 100), (200, 300)]
    assert closed_time_fraction(gap, FPS, spans) == {"closed_ms": 50.0, "ms": 200.0, "rate": 0.25}
    assert false_closure_rate(gap, FPS, spans)["closed"] == 1  # 5 of 10 frames: counted as shut
    assert closed_time_fraction(gap, FPS, [])["rate"] is None


def test_the_chance_control_is_the_track_500_ms_late():
    x = np.arange(100.0)
    late = delayed(x, FPS)  # 50 frames at 100 Hz
    assert late[:50].tolist() == [0.0] * 50 and late[50:].tolist() == x[:50].tolist()
    gap = np.full(200, 10.0)
    gap[30:36] = 0.0  # closed exactly on the closure [300, 360)
    assert closure_hit_rate(gap, FPS, [(300, 360)])["rate"] == 1.0
    assert closure_hit_rate(delayed(gap, FPS), FPS, [(300, 360)])["rate"] == 0.0


def test_closure_onsets_are_signed_and_catch_lips_shut_during_the_vowel_before():
    gap = np.full(200, 10.0)
    gap[27:36] = 0.0  # 30 ms early for [300, 360)
    gap[104:112] = 0.0  # 40 ms late for [1000, 1100)
    gap[120:163] = 0.0  # shut since 1200, through the vowel before [1600, 1650): 250 ms early at most
    gap[166:175] = 0.0  # a closure at [1700, 1750), 40 ms early; the run before it belongs to another
    gap[178:187] = 0.0  # /m p/: [1800, 1850) and [1850, 1870) are one closure, shut 20 ms early
    spans = [(300, 360), (1000, 1100), (1600, 1650), (1700, 1750), (1800, 1850), (1850, 1870), (1950, 1990)]
    onsets = closure_onsets_ms(gap, FPS, spans)
    assert onsets == [-30, 40, -250, -40, -20, None]  # the last: never shut


def test_target_labiodental_contact_reads_the_drawn_mouth():
    track = articulate(PHONEMES, 900, fps=100)
    contact = target_labiodental_contact(track.values)
    assert contact[43:46].all() and not contact[20:30].any()  # /f/ at [400, 480), /a/ before it
    assert labiodental_contact_rate(contact, 100, intervals(PHONEMES, "labiodental"))["rate"] == 0.0  # 3 of 8


# -- timing -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("delay_ms", [40.0, 13.0, -25.0, 0.0])
def test_offset_of_a_delayed_sine(delay_ms):
    t = np.arange(120) / 30
    reference = 8 + 6 * np.sin(2 * np.pi * 2.7 * t)
    opening = 3 + 9 * np.sin(2 * np.pi * 2.7 * (t - delay_ms / 1000))  # other offset and scale: NCC ignores them
    assert lip_audio_offset_ms(opening, reference, 30) == pytest.approx(delay_ms, abs=2.0)


@pytest.mark.parametrize("delay_ms", [-40.0, 16.0, 40.0, 90.0])
def test_offset_of_a_delayed_speech_opening(delay_ms):
    # The target opening of a coarticulated utterance at 1 ms resolution, sampled at 30 fps
    # with and without a known delay.
    words = Timeline([Timed(100 + 180 * i, 280 + 180 * i, s) for i, s in enumerate("mafipamuvabo")])
    fine = target_gap_mm(articulate(words, 2500, fps=1000).values)
    frames_ms = np.arange(75) * 1000 / 30
    reference = np.interp(frames_ms, np.arange(len(fine)), fine)
    opening = np.interp(frames_ms - delay_ms, np.arange(len(fine)), fine)
    assert lip_audio_offset_ms(opening, reference, 30) == pytest.approx(delay_ms, abs=3.0)


def test_offset_of_a_flat_opening_is_nan():
    assert np.isnan(lip_audio_offset_ms(np.ones(60), np.sin(np.arange(60)), 30))


# -- smoothness and summaries ------------------------------------------------------------------------

def test_jerk_of_a_cubic_is_six_times_its_coefficient():
    fps = 50
    t = np.arange(40) / fps
    positions = np.stack([0.3 * t**3, -0.1 * t**3 + t**2, 2 * t + 1], axis=1)  # jerks 1.8, 0.6, 0
    assert mean_abs_jerk(positions, fps) == pytest.approx((1.8 + 0.6 + 0.0) / 3, rel=1e-6)
    assert mean_abs_jerk(0.3 * t**3, fps) == pytest.approx(1.8, rel=1e-6)
    with pytest.raises(MirrorfaceError):
        mean_abs_jerk(positions[:3], fps)


def test_stats():
    assert stats([1.0, 2.0, 3.0, np.nan]) == {"mean": 2.0, "sd": 1.0, "min": 1.0, "max": 3.0, "n": 3}
    assert stats([5.0])["sd"] == 0.0
    assert stats([]) == {"mean": None, "sd": None, "min": None, "max": None, "n": 0}
