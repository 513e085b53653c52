"""The lip-sync paper's five baselines (its Table 1), as command trajectories at the face's fps.

Each returns (F, n) commands, one row per target frame, that are already safe: rows of the
babbling set's commands (which passed the safety layer when they were recorded), blends of
safe rows (the safe set is convex), or the neutral pose with only the jaw moved within its
range. The face's safety layer still applies when they are executed.

  nearest_landmarks   MediaPipe lip landmarks of each target frame -> the babbling frame with
                      the nearest lip landmarks -> its command (feature matching, no learning)
  audio_amplitude     loudness drives the jaw alone (the classic talking-robot jaw)
  shifted             our method's commands delayed by 0.033 s or 0.5 s (timing sensitivity)
  random_selection    random babbling frames' commands (speech-like, but not this speech)
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from mirrorface.articulation.phonemes import ARTICULATORS, OPEN
from mirrorface.errors import MirrorfaceError
from mirrorface.face.spec import FaceSpec
from mirrorface.perception.landmarks import lip_indices
from mirrorface.speech.envelope import amplitude_envelope

# The amplitude baseline's calibration: the utterance's 95th-percentile loudness opens the jaw
# as far as an open vowel /a/ asks in the articulation model (phonemes.OPEN: 70% of the jaw's
# travel), silence leaves it at rest, and loudness in between maps linearly. The 95th percentile
# is the level of the loud vowels in the utterance, robust to a few bursts. On the simulated
# lips10 face this command (0.7) turns the jaw as far as the target mouth's /a/ does (its crank
# gives 0.7 ** 1.7 = 0.55 of full rotation; the target draws 0.7 * 0.8 = 0.56), so the baseline
# is calibrated fairly rather than set up to fail.
LOUD_PERCENTILE = 95.0
OPEN_VOWEL_JAW = OPEN.target[ARTICULATORS.index("jaw")]


def nearest_landmarks(target_landmarks: np.ndarray, babble_landmarks: np.ndarray,
                      babble_commands: np.ndarray) -> np.ndarray:
    """For each target frame, the command of the babbling frame whose lips look most alike.

    Lips only (the 40 face-mesh lip landmarks), x and y in normalized image coordinates,
    Euclidean distance over all of them at once (a KD-tree). Target and babbling frames come
    from the same camera on the same face, so no alignment is needed.

    Args:
        target_landmarks: (F, 468, 3) landmarks of the synthesized target frames; a row of NaN
            where no face was found: that frame holds the previous frame's command (frames
            before the first found face take the first found face's command).
        babble_landmarks: (N, 468, 3) landmarks of the babbling frames (NaN rows are skipped).
        babble_commands: (N, n) the commands those frames were recorded with.
    Returns:
        (F, n) commands.
    """
    lips = lip_indices()
    babble = babble_landmarks[:, lips, :2].reshape(len(babble_landmarks), -1)
    usable = np.all(np.isfinite(babble), axis=1)
    if not usable.any():
        raise MirrorfaceError("no babbling frame has face landmarks to match against")
    target = target_landmarks[:, lips, :2].reshape(len(target_landmarks), -1)
    found = np.all(np.isfinite(target), axis=1)
    if not found.any():
        raise MirrorfaceError("MediaPipe found no face in any target frame")
    _, nearest = cKDTree(babble[usable]).query(target[found])
    # Index of the latest found frame at or before each frame (the first found one before it).
    source = np.maximum.accumulate(np.where(found, np.arange(len(found)), -1))
    source[source < 0] = np.flatnonzero(found)[0]
    chosen = np.empty(len(found), dtype=int)
    chosen[found] = np.flatnonzero(usable)[nearest]
    return babble_commands[chosen[source]].copy()


def audio_amplitude(audio: np.ndarray, sample_rate: int, fps: float, n_frames: int, spec: FaceSpec) -> np.ndarray:
    """The jaw opens with the sound's RMS loudness; every other actuator stays at neutral.

    Calibrated per utterance (see LOUD_PERCENTILE): jaw = neutral + level * (open - neutral),
    level = envelope / its 95th percentile, clamped to the jaw's range; open = the jaw command at
    OPEN_VOWEL_JAW of its range. Frames past the end of the audio are silent.

    Args:
        audio: (samples,) mono speech.
        sample_rate: Hz.
        fps: the face's frame rate.
        n_frames: frames to produce (the target's length).
        spec: the face; it must have exactly one actuator in the "jaw" group.
    Returns:
        (n_frames, spec.n) commands.
    """
    jaws = spec.indices_of_groups({"jaw"})
    if len(jaws) != 1:
        raise MirrorfaceError(f"face {spec.name!r} needs exactly one jaw actuator for the amplitude baseline, "
                              f"it has {len(jaws)}")
    jaw = jaws[0]
    envelope = np.zeros(n_frames)
    env = amplitude_envelope(audio, sample_rate, fps)[:n_frames]
    envelope[: len(env)] = env
    loud = np.percentile(envelope, LOUD_PERCENTILE) if n_frames else 0.0
    level = envelope / loud if loud > 0 else envelope
    lo, hi, rest = spec.lower[jaw], spec.upper[jaw], spec.neutral[jaw]
    open_jaw = lo + OPEN_VOWEL_JAW * (hi - lo)
    commands = np.tile(spec.neutral, (n_frames, 1))
    commands[:, jaw] = np.clip(rest + level * (open_jaw - rest), lo, hi)
    return commands


def shifted(commands: np.ndarray, fps: float, shift_s: float) -> np.ndarray:
    """The same commands `shift_s` later (negative: earlier), exactly, at any fps.

    out[k] = commands at frame k - shift_s * fps, linearly interpolated between frames when the
    shift is not a whole number of frames (0.033 s at 30 fps is 0.99 of a frame; 0.5 s is 15
    frames, copied exactly). Before the start the first row repeats, after the end the last.
    Blends of two safe commands are safe (the safe set is convex).
    """
    commands = np.asarray(commands, float)
    n = len(commands)
    source = np.clip(np.arange(n) - shift_s * fps, 0, n - 1)
    lo = np.floor(source).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = (source - lo)[:, None]
    return (1 - frac) * commands[lo] + frac * commands[hi]


def random_selection(babble_commands: np.ndarray, n_frames: int, rng: np.random.Generator) -> np.ndarray:
    """`n_frames` commands drawn independently, uniformly, with replacement from the babbling set."""
    return babble_commands[rng.integers(0, len(babble_commands), n_frames)].copy()
