"""The mouth-crop VAE: shapes, config checks, its loss by hand on constructed inputs, and that it learns."""

import math

import numpy as np
import pytest
import torch

from mirrorface.models.vae import VAE, VAEConfig
from mirrorface.training.loop import TrainConfig, fit

SMALL = VAEConfig(image_size=16, channels=(8, 16), latent=4, beta=0.5)


def test_shapes_and_range():
    model = VAE(VAEConfig(image_size=32, channels=(8, 16, 32))).eval()
    images = torch.rand(3, 3, 32, 32)
    mu, logvar = model.encode(images)
    assert mu.shape == logvar.shape == (3, 16)
    recon, loss = model(images)
    assert recon.shape == images.shape and loss.shape == ()
    assert recon.min() >= 0 and recon.max() <= 1


@pytest.mark.parametrize("settings", [{"image_size": 60}, {"latent": 0}, {"beta": -0.1}])
def test_bad_configs_are_refused(settings):
    with pytest.raises(ValueError):
        VAEConfig(**{"image_size": 64, "channels": (8, 16, 32, 64), **settings})


def constant_stats(model, mu, logvar):
    """Make the encoder output the given mu and logvar for every image."""
    with torch.no_grad():
        model.to_stats.weight.zero_()
        model.to_stats.bias.copy_(torch.cat([torch.as_tensor(mu), torch.as_tensor(logvar)]).float())


def test_loss_is_sse_plus_beta_kl_per_pixel_by_hand():
    torch.manual_seed(0)
    model = VAE(SMALL).eval()  # eval: z = mu, so the reconstruction is deterministic
    mu, logvar = [1.0, 0.0, -2.0, 0.5], [math.log(2.0), 0.0, 0.0, math.log(0.5)]
    constant_stats(model, mu, logvar)
    images = torch.rand(2, 3, 16, 16)
    recon, loss = model(images)
    # KL(N(mu, s2) || N(0, 1)) = 0.5 (mu^2 + s2 - 1 - ln s2) per dimension
    kl = 0.5 * ((1 + 2 - 1 - math.log(2)) + 0 + (4 + 1 - 1) + (0.25 + 0.5 - 1 - math.log(0.5)))
    sse = ((recon - images) ** 2).flatten(1).sum(1).detach().numpy()
    pixels = 3 * 16 * 16
    assert loss.item() == pytest.approx(np.mean((sse + 0.5 * kl) / pixels), rel=1e-5)
    constant_stats(model, [0.0] * 4, [0.0] * 4)  # the prior itself: KL 0, only the squared error is left
    recon, loss = model(images)
    assert loss.item() == pytest.approx(((recon - images) ** 2).mean().item(), rel=1e-5)


def test_anchor_keeps_real_frames_latents_and_ignores_synthesized_ones():
    torch.manual_seed(0)
    model = VAE(SMALL).eval()
    constant_stats(model, [0.5, 0.0, 0.0, 0.0], [0.0] * 4)
    images = torch.rand(2, 3, 16, 16)
    _, plain = model(images)
    anchor = torch.zeros(2, 4)  # |mu - anchor|^2 = 0.25 for both images
    _, anchored = model(images, anchor, torch.tensor([4.0, 0.0]))  # a real frame (weight 4), a synthesized one (0)
    assert (anchored - plain).item() == pytest.approx((4.0 * 0.25 + 0.0) / 2, rel=1e-5)


def test_sampling_only_while_training():
    torch.manual_seed(0)
    model = VAE(SMALL)
    images = torch.rand(2, 3, 16, 16)
    assert not torch.equal(model.train()(images)[0], model(images)[0])
    assert torch.equal(model.eval()(images)[0], model(images)[0])


def blobs(n, size=16, seed=0):
    """n images of a dark disc on a skin-like background, at different places: a handful of distinct mouths."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.broadcast_to(np.array([0.8, 0.6, 0.5], np.float32)[:, None, None], (n, 3, size, size)).copy()
    for k in range(n):
        cx, cy, r = rng.uniform(4, size - 4, 2).tolist() + [rng.uniform(2, 4)]
        out[k, :, (xx - cx) ** 2 + (yy - cy) ** 2 < r**2] = rng.uniform(0.0, 0.4, 3)  # (pixels, 3)
    return torch.from_numpy(out)


def test_it_overfits_a_handful_of_images():
    images = blobs(8)
    torch.manual_seed(0)
    model = VAE(VAEConfig(image_size=16, channels=(8, 16), latent=8, beta=0.01))
    with torch.no_grad():
        before = ((model.eval()(images)[0] - images) ** 2).mean().item()
    result = fit(model, lambda rng: (images,), TrainConfig(steps=200, batch_size=8, lr=1e-2, warmup=10), None)
    losses = result["losses"]
    assert np.mean(losses[-10:]) < 0.3 * np.mean(losses[:10])
    with torch.no_grad():
        after = ((model(images)[0] - images) ** 2).mean().item()
        mean_image = ((images.mean(0, keepdim=True) - images) ** 2).mean().item()
    assert after < 0.3 * before and after < 0.5 * mean_image  # it tells the images apart, not just their mean
