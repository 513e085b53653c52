"""The learned lip sync of the lip-sync paper: VAE latents, latent matching, the FAT, speech to servo commands."""
