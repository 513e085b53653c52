"""The audio -> articulation network on its own: shapes, context, and that it can learn."""

import pytest
import torch

from mirrorface.models.audio2artic import BILABIAL, Audio2Artic, Audio2ArticConfig

SMALL = Audio2ArticConfig(channels=32, layers=4, dropout=0.0)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("frames", [1, 7, 150])
def test_one_output_frame_per_input_frame(causal, frames):
    model = Audio2Artic(Audio2ArticConfig(channels=16, layers=3, causal=causal)).eval()
    (values, logit), loss = model(torch.randn(2, frames, 40))
    assert values.shape == (2, frames, 9) and logit.shape == (2, frames) and loss is None
    assert values.min() >= 0 and values.max() <= 1


def test_the_default_model_is_small_and_hears_far_enough_ahead():
    model = Audio2Artic(Audio2ArticConfig())
    assert 50_000 <= sum(p.numel() for p in model.parameters()) <= 200_000
    assert Audio2ArticConfig().receptive_field * 10 / 2 >= 300  # ms of future context when centred


def test_context_causal_sees_no_future_centred_sees_both_sides():
    x = torch.randn(1, 60, 40)
    later = x.clone()
    later[:, 40:] += 5.0  # change only frames 40 and on
    for causal, changes_before_40 in ((True, False), (False, True)):
        torch.manual_seed(0)
        model = Audio2Artic(Audio2ArticConfig(channels=16, layers=3, causal=causal)).eval()
        (a, _), _ = model(x)
        (b, _), _ = model(later)
        assert torch.allclose(a[:, :10], b[:, :10])  # beyond the receptive field either way
        assert (not torch.allclose(a[:, 35:40], b[:, 35:40])) == changes_before_40, causal


def test_masked_frames_do_not_count():
    torch.manual_seed(0)
    model = Audio2Artic(SMALL)
    mel, target = torch.randn(2, 30, 40), torch.rand(2, 30, 9)
    mask = torch.ones(2, 30)
    mask[:, 20:] = 0
    _, loss = model(mel, target, mask)
    garbage = target.clone()
    garbage[:, 20:] = 1 - garbage[:, 20:]
    _, same = model(mel, garbage, mask)
    assert torch.isclose(loss, same)


def test_closing_frames_weigh_closure_pos_weight_times_in_the_loss():
    torch.manual_seed(0)
    weighted = Audio2Artic(Audio2ArticConfig(channels=32, layers=4, dropout=0.0, closure_pos_weight=3.0))
    plain = Audio2Artic(Audio2ArticConfig(channels=32, layers=4, dropout=0.0, closure_pos_weight=1.0))
    plain.load_state_dict(weighted.state_dict())
    mel, target = torch.randn(2, 30, 40), torch.rand(2, 30, 9)
    target[..., BILABIAL] = 0.0  # nothing closes: the weight changes nothing
    assert torch.isclose(weighted(mel, target)[1], plain(mel, target)[1])
    target[..., BILABIAL] = 1.0  # every frame closes: the BCE term is three times as heavy
    mae = (plain(mel, target)[0][0] - target).abs().mean()
    bce_plain = (plain(mel, target)[1] - mae) / plain.config.closure_weight
    bce_weighted = (weighted(mel, target)[1] - mae) / weighted.config.closure_weight
    assert torch.isclose(bce_weighted, 3 * bce_plain, rtol=1e-4)


def test_it_overfits_a_tiny_batch():
    torch.manual_seed(0)
    model = Audio2Artic(SMALL)
    mel = torch.randn(2, 80, 40)
    t = torch.linspace(0, 6.28, 80)
    target = torch.stack([0.5 + 0.4 * torch.sin(t * (k + 1) / 3) for k in range(9)], -1).expand(2, 80, 9)
    target = target.clone()
    target[:, 30:40, BILABIAL] = 1.0
    target[:, :30, BILABIAL] = target[:, 40:, BILABIAL] = 0.0
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(150):
        _, loss = model(mel, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.25 * losses[0]
    (values, logit), _ = model.eval()(mel)
    assert (values - target).abs().mean() < 0.08
    assert ((logit > 0) == (target[..., BILABIAL] > 0.5)).float().mean() > 0.95


def test_bad_configs_name_the_field():
    with pytest.raises(ValueError, match="channels"):
        Audio2ArticConfig(channels=0)
    with pytest.raises(ValueError, match="odd kernel"):
        Audio2ArticConfig(kernel=4)
