"""AnoGAN pilot, held-out 0 only: GAN epochs and the encoder's batch norm, on the table's 1,000 test images.

    PYTHONPATH=. nice -n 10 python benchmarks/anogan_pilot_ablation.py

Reads three runs of scripts/train_anogan.py for digit 0: runs/pilot (3 GAN epochs, an encoder
with batch norm, trained before the encoder lost it), runs/anogan-3ep (3 epochs, encoder without)
and runs/anogan (1 epoch, encoder without: the shipped models).  Results: benchmarks/README.md,
section 7.
"""
from ganlib.quiet import import_tensorflow_quietly
tf = import_tensorflow_quietly()
import json
from ganlib.apps.anogan import auroc, encoder_scores, invert_latent, load_run, scoring_subset, split_for_digit
from ganlib.model import make_discriminator, discriminator_features
from ganlib.trainer import restore_gan
from ganlib.data import read_mnist_npz, to_model_range
mnist = read_mnist_npz("/work/shared/data/mnist.npz")
_, x_test, is_anomaly = split_for_digit(mnist, 0)
chosen = scoring_subset(is_anomaly, 500, 500, 0)
x, y = to_model_range(x_test[chosen]), is_anomaly[chosen]
out = {}
gan, _ = restore_gan("runs/pilot/digit-0")
bn_encoder = make_discriminator(16, name="encoder", outputs=32)
bn_encoder.load_weights("runs/pilot/digit-0/encoder.weights.h5")
out["3 GAN epochs, batch-norm encoder (runs/pilot)"] = auroc(encoder_scores(gan.sampler, discriminator_features(gan.discriminator), bn_encoder, x), y)
m3 = load_run("runs/anogan-3ep/digit-0", 0)
out["3 GAN epochs, encoder without batch norm (runs/anogan-3ep)"] = auroc(m3.encoder_scores(x), y)
m1 = load_run("runs/anogan/digit-0", 0)
out["1 GAN epoch, encoder without batch norm (runs/anogan, shipped)"] = auroc(m1.encoder_scores(x), y)
print(json.dumps(out, indent=1), flush=True)
z, s, l = invert_latent(m3.generator, m3.features, x, steps=100, learning_rate=0.05, seed=0)
print("AnoGAN, 3 GAN epochs:", auroc(s, y))
