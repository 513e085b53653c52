import numpy as np
import pytest

from mirrorface.data.babbling import random_safe_poses
from mirrorface.face.sim.painter import Painter
from mirrorface.perception.landmarks import FaceMeshDetector, lip_indices


def test_same_seed_same_frames_other_seed_other_noise(lips10):
    pose = lips10.neutral
    a, b, c = (Painter(lips10, seed=s) for s in (3, 3, 4))
    frames_a = [a.render_pose(pose) for _ in range(3)]
    frames_b = [b.render_pose(pose) for _ in range(3)]
    assert all(np.array_equal(x, y) for x, y in zip(frames_a, frames_b, strict=True))
    assert not np.array_equal(frames_a[0], c.render_pose(pose))
    assert not np.array_equal(frames_a[0], frames_a[1])  # noise and light change every frame


def test_frame_has_the_camera_size(emo26):
    assert Painter(emo26).render_pose(emo26.neutral).shape == (256, 256, 3)


@pytest.mark.parametrize("face", ["lips10", "emo26"])
def test_mediapipe_finds_the_face_in_random_safe_renders(face, request):
    spec = request.getfixturevalue(face)
    sim = Painter(spec, seed=1)
    poses = random_safe_poses(spec, 60, np.random.default_rng(1), list(range(spec.n)))
    with FaceMeshDetector(video=False) as detect:
        found = [detect(sim.render_pose(p)) is not None for p in poses]
    assert np.mean(found) >= 0.95


def test_teeth_show_only_when_the_lips_part(lips10):
    sim = Painter(lips10, seed=0)
    closed = lips10.neutral.copy()
    closed[lips10.index_of("jaw")] = 0.0
    closed[lips10.index_of("upper_lip_center")] = 0.35
    closed[lips10.index_of("lower_lip_center")] = 0.6
    wide = closed.copy()
    wide[lips10.index_of("jaw")] = 0.9
    mouth = (slice(160, 225), slice(95, 161))

    def bright(img):  # teeth are the only bright, colourless pixels around the mouth
        patch = img[mouth].astype(int)
        return int(((patch.min(-1) > 115) & (np.ptp(patch, -1) < 40)).sum())

    assert bright(sim.render_pose(closed)) < 5
    assert bright(sim.render_pose(wide)) > 40


def test_mouth_painting_reproduces_the_pose_it_was_taken_from(lips10):
    pose = lips10.neutral.copy()
    pose[lips10.index_of("jaw")] = 0.7
    pose[lips10.index_of("corner_left_x")] = 0.9
    a, b = Painter(lips10, seed=5), Painter(lips10, seed=5)
    painted = a.render_mouth(a.mouth_of(pose), positions=pose)
    assert np.array_equal(painted, b.render_pose(pose))


def test_mouth_painting_moves_the_lips_without_actuators(lips10):
    sim = Painter(lips10, seed=0)
    open_pose = lips10.neutral.copy()
    open_pose[lips10.index_of("jaw")] = 0.9
    with FaceMeshDetector(video=False) as detect:
        rest = detect(sim.render_pose(lips10.neutral))
        painted = detect(sim.render_mouth(sim.mouth_of(open_pose)))  # neutral face, open mouth
    lips = lip_indices()
    gap = lambda lm: lm[14, 1] - lm[13, 1]  # noqa: E731  inner lower minus inner upper lip
    assert rest is not None and painted is not None
    assert gap(painted) * 256 > gap(rest) * 256 + 8
    assert len(lips) == 40


@pytest.mark.parametrize("face", ["lips10", "emo26"])
def test_a_window_is_that_part_of_the_frame(face, request):
    spec = request.getfixturevalue(face)
    sim = Painter(spec, seed=2)
    rng = np.random.default_rng(2)
    poses = random_safe_poses(spec, 12, rng, list(range(spec.n)))  # neck turns and jaw drops included
    for k, pose in enumerate(poses):
        surface = sim.surface(pose)
        frame = sim.renderer.draw(surface, frame_seed=k)
        x, y = rng.integers(0, 230, 2)
        w, h = rng.integers(1, 256 - max(x, y) + 1, 2)
        for wx, wy, ww, wh in ((x, y, w, h), (91, 162, 75, 75), (0, 0, 256, 256), (0, 200, 256, 56)):
            part = sim.renderer.draw(surface, frame_seed=k, window=(wx, wy, ww, wh))
            diff = np.abs(part.astype(int) - frame[wy : wy + wh, wx : wx + ww]).max(-1)
            # OpenCV's anti-aliasing of long edges clipped at the window may differ by a level or two
            assert diff.max() <= 8 and (diff > 0).mean() < 0.002, (k, (wx, wy, ww, wh))


def test_a_window_outside_the_frame_is_refused(lips10):
    sim = Painter(lips10)
    with pytest.raises(ValueError, match="not inside"):
        sim.renderer.draw(sim.surface(lips10.neutral), window=(200, 200, 75, 75))
