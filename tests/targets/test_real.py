import numpy as np

from mirrorface.articulation.coarticulation import articulate
from mirrorface.perception.landmarks import FaceMeshDetector
from mirrorface.speech.tts import synthesize
from mirrorface.targets.real import RealFaceTargets


def test_a_camera_frame_of_the_robot_speaks_papa(sim_face, lips10):
    camera_frame = sim_face.painter.render_pose(lips10.neutral)  # stands in for a photo of a real face
    speech = synthesize("papa")
    track = articulate(speech.phonemes, speech.duration_ms, 30, "en", speech.audio, speech.sample_rate)
    frames = list(RealFaceTargets(camera_frame).frames(track))
    with FaceMeshDetector(video=False) as detect:
        gaps = np.array([(lm[14, 1] - lm[13, 1]) * 256 for lm in map(detect, frames)])
    shut = track.column("lip_open") == 0
    assert gaps[shut].max() < 2.5
    assert gaps[~shut].max() > 8.0
    assert np.array_equal(frames[0][:100], camera_frame[:100])  # the eyes and above are untouched
