import numpy as np

from mirrorface.face.sim.dynamics import ServoDynamics


def make(lag=0.03, backlash=0.0, speed=2.0):
    return ServoDynamics(np.zeros(1), np.array([speed]), lag, backlash)


def test_lag_eases_into_the_target():
    servo = make(lag=0.05, speed=100.0)
    servo.target = np.array([1.0])
    servo.advance(0.05)  # one time constant: about 63% of the way
    assert 0.55 < servo.output[0] < 0.70
    servo.advance(0.5)
    assert abs(servo.output[0] - 1.0) < 1e-3


def test_speed_limit_caps_the_motion():
    servo = make(lag=0.0, speed=2.0)
    servo.target = np.array([1.0])
    servo.advance(0.1)
    assert abs(servo.output[0] - 0.2) < 1e-9


def test_backlash_leaves_a_dead_band_on_reversal():
    servo = make(lag=0.0, speed=100.0, backlash=0.04)
    servo.target = np.array([0.5])
    servo.advance(0.1)
    assert abs(servo.output[0] - 0.48) < 1e-9  # trails the motor by half the slack
    servo.target = np.array([0.47])  # reverse by less than the slack
    servo.advance(0.1)
    assert abs(servo.output[0] - 0.48) < 1e-9  # the shaft has not moved


def test_result_does_not_depend_on_how_time_is_sliced():
    a, b = make(), make()
    a.target = b.target = np.array([0.8])
    a.advance(0.2)
    for _ in range(20):
        b.advance(0.01)
    assert abs(a.output[0] - b.output[0]) < 1e-6
