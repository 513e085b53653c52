"""The Speak view's engine: text or audio in, the face's frames out one by one, then the files.

This is the adapter between the page and the offline pipeline of `mirrorface say`
(`lipsync.speak` + `lipsync.execute`), reshaped to stream: target latents are encoded a few
frames at a time, the FAT runs as far as they reach, and each command is performed on the face
at once, so the first frame is ready long before the last is computed. The live runtime's
speaker (audio clock, scheduler, watchdog) can replace `Speaker.frames` behind the same shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mirrorface.articulation.coarticulation import Track
from mirrorface.articulation.sources import Utterance, from_audio, from_text, track_of
from mirrorface.errors import MirrorfaceError
from mirrorface.export.rhubarb import mouth_cues, to_json
from mirrorface.face.sim.painter import Painter
from mirrorface.face.spec import FaceSpec
from mirrorface.hardware.face import make_face
from mirrorface.lipsync.execute import perform, write_trajectory
from mirrorface.lipsync.speak import LipSyncModels, target_latents
from mirrorface.media import write_mp4
from mirrorface.speech.audio import save_wav
from mirrorface.targets.frames import speaking_frames

LATENT_CHUNK = 4  # target frames encoded together: small, so the first command comes early
MAX_TEXT = 500  # characters: a sentence or a short paragraph, not a book
# What a finished utterance leaves for download (the page links these names).
FILES = {"audio": "speech.wav", "video": "say.mp4", "trajectory": "trajectory.csv", "cues": "cues.json"}


@dataclass
class SpokenFrame:
    index: int
    time_s: float  # when the frame shows, on the audio's clock (k / fps)
    target: np.ndarray  # (H, W, 3) the synthesized speaking face
    robot: np.ndarray  # (H, W, 3) what the face's camera saw
    sent: np.ndarray  # (n,) the command after the safety layer


class Speaker:
    """One face and its lip-sync models, loaded once for every utterance of the session.

    The face stays connected between utterances, as a robot on the desk does (each performance
    starts by settling at neutral); the painter of the target frames is built once too, since
    a simulated face takes about 0.1 s to set up and the first frame should not wait for it.
    `close()` releases the face.
    """

    def __init__(self, spec: FaceSpec, models: LipSyncModels, seed: int = 0):
        self.spec, self.models, self.seed = spec, models, seed
        self.painter = Painter(spec, seed=seed)  # draws the targets (a pure function of k)
        self.robot = make_face(spec, seed=seed)

    @classmethod
    def load(cls, face: str | FaceSpec, models: Path | None = None, seed: int = 0) -> Speaker:
        from mirrorface.face.spec import load_spec

        spec = face if isinstance(face, FaceSpec) else load_spec(face)
        return cls(spec, LipSyncModels.load(spec, models), seed)

    def utterance(self, text: str | None, lang: str = "en", voice: str | None = None,
                  audio: Path | None = None) -> Utterance:
        """Text through TTS, or an audio file (aligned to `text` when given, else recognised)."""
        text = (text or "").strip() or None
        if text is not None and len(text) > MAX_TEXT:
            raise MirrorfaceError(f"the text is {len(text)} characters; the studio says at most {MAX_TEXT}")
        if audio is not None:
            return from_audio(audio, text, "auto", lang)
        if text is None:
            raise MirrorfaceError("type something to say, or upload an audio file")
        return from_text(text, lang, voice or None)

    def track(self, utt: Utterance) -> Track:
        """The articulation at the face's frame rate: one frame per entry."""
        track = track_of(utt, self.spec.camera.fps)
        if len(track) == 0:
            raise MirrorfaceError("the speech is too short to give a single frame")
        return track

    def frames(self, track: Track) -> Iterator[SpokenFrame]:
        """The face performing `track`, frame by frame, with the target it aims at."""
        fps = self.spec.camera.fps
        latents = target_latents(self.painter, track, self.models, chunk=LATENT_CHUNK)
        commands = self.models.commands(self.models.stream(self.spec.neutral), latents)
        targets = speaking_frames(self.painter, track, workers=1)
        if not self.robot.is_connected:
            self.robot.connect()
        try:
            for k, (step, target) in enumerate(zip(perform(self.robot, commands, fps), targets, strict=True)):
                yield SpokenFrame(k, k / fps, target, step.frame, step.sent)
        except BaseException:
            self.close()  # a fault mid-sentence: the face goes to its safe pose and is released
            raise

    def close(self) -> None:
        if self.robot.is_connected:
            self.robot.close()

    @staticmethod
    def save_audio(folder: Path, utt: Utterance) -> Path:
        """The speech as a WAV: sent to the page before the first frame, and a download."""
        folder.mkdir(parents=True, exist_ok=True)
        return save_wav(folder / FILES["audio"], utt.audio, utt.sample_rate)

    def save(self, folder: Path, utt: Utterance, frames: list[SpokenFrame]) -> dict[str, Path]:
        """The downloads beside the audio (`save_audio`): target | robot MP4 with sound, the commands sent (after the
        safety layer), Rhubarb cues."""
        fps = self.spec.camera.fps
        folder.mkdir(parents=True, exist_ok=True)
        paths = {kind: folder / name for kind, name in FILES.items()}
        write_mp4(paths["video"], (np.concatenate([f.target, f.robot], axis=1) for f in frames), fps,
                  utt.audio, utt.sample_rate)
        write_trajectory(paths["trajectory"], np.stack([f.sent for f in frames]), self.spec.names, fps)
        cues = mouth_cues(track_of(utt, 100.0))
        paths["cues"].write_text(to_json(cues, FILES["audio"]))
        return paths
