import multiprocessing
import signal
import threading

import numpy as np

from mirrorface.articulation.coarticulation import A, articulate
from mirrorface.articulation.phonemes import ARTICULATORS, BILABIAL, FRONT_CLOSE, LABIODENTAL, OPEN, POUT
from mirrorface.face.sim.painter import Painter
from mirrorface.face.sim.skin import UPPER_TEETH_EDGE
from mirrorface.perception.landmarks import FaceMeshDetector
from mirrorface.speech.tts import synthesize
from mirrorface.targets.frames import speaking_frames
from mirrorface.targets.mouth import mouth_from_articulation

MID = 7  # the middle point of each lip contour


def shape(articulation):
    return mouth_from_articulation(np.array(articulation.target))


def gap(mouth):
    return mouth.lower_inner[MID, 1] - mouth.upper_inner[MID, 1]


def width(mouth):
    return mouth.upper_outer[-1, 0] - mouth.upper_outer[0, 0]


def test_shapes_follow_the_articulators():
    closed, open_, rounded, spread = shape(BILABIAL), shape(OPEN), shape(POUT), shape(FRONT_CLOSE)
    assert gap(closed) == 0
    assert gap(open_) > 15
    assert width(rounded) < width(spread) - 10
    bite = shape(LABIODENTAL)
    assert abs(bite.lower_inner[MID, 1] - (UPPER_TEETH_EDGE - 1.0)) < 1.5  # lower lip at the teeth
    assert len(ARTICULATORS) == 9 and A["bilabial"] == 5


def test_papa_frames_show_two_closures_to_mediapipe(lips10):
    speech = synthesize("papa")
    track = articulate(speech.phonemes, speech.duration_ms, 30, "en", speech.audio, speech.sample_rate)
    frames = list(speaking_frames(Painter(lips10, seed=0), track))
    assert len(frames) == len(track)
    with FaceMeshDetector(video=False) as detect:
        gaps = np.array([(lm[14, 1] - lm[13, 1]) * 256 for lm in map(detect, frames)])
    shut = track.column("lip_open") == 0
    assert gaps[shut].max() < 2.0  # the lips touch in every closure frame
    assert gaps[~shut].max() > 8.0  # and part widely for the vowel
    assert int(np.sum(shut[1:] & ~shut[:-1]) + shut[0]) == 2


def test_frames_are_the_same_on_one_process_or_several(lips10):
    speech = synthesize("My programming allows me to process data and respond to queries.")
    track = articulate(speech.phonemes, speech.duration_ms, 30, "en", speech.audio, speech.sample_rate)
    assert len(track) >= 60  # long enough to be split
    one = list(speaking_frames(Painter(lips10, seed=3), track, workers=1))
    two = list(speaking_frames(Painter(lips10, seed=3), track, workers=2))
    assert len(one) == len(two) == len(track)
    assert all(np.array_equal(a, b) for a, b in zip(one, two, strict=True))
    other_seed = next(speaking_frames(Painter(lips10, seed=4), track, workers=1))
    assert not np.array_equal(one[0], other_seed)
    window = list(speaking_frames(Painter(lips10, seed=3), track, workers=2, window=(91, 162, 75, 75)))
    assert all(np.array_equal(a[162:237, 91:166], b) for a, b in zip(one, window, strict=True))


def test_render_workers_end_when_the_pool_ends_whatever_signal_handlers_the_parent_has(lips10):
    """A command run in-process may leave a Python SIGTERM handler (one that does not exit): the
    pool's workers must not inherit it, or its `terminate` waits for them forever."""
    speech = synthesize("My programming allows me to process data and respond to queries.")
    track = articulate(speech.phonemes, speech.duration_ms, 30, "en", speech.audio, speech.sample_rate)
    before = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        frames = speaking_frames(Painter(lips10), track, workers=2)
        next(frames)  # the pool is up, its workers busy or waiting for tasks
        ended = threading.Thread(target=frames.close, daemon=True)  # terminates the pool
        ended.start()
        ended.join(30)
    finally:
        signal.signal(signal.SIGTERM, before)
    assert not ended.is_alive(), "the pool's workers did not end"
    assert not [p for p in multiprocessing.active_children() if p.name.startswith("ForkPoolWorker")]
