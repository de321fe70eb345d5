"""Pilot (declared in benchmarks/declared/cyclegan-source-semantic.md; failed its criterion, not shipped):
CycleGAN with CyCADA's semantic loss using the *source* classifier only (Hoffman et al. 2018, eq. 4),

    L_sem = CE(f_M(G(x)), argmax f_M(x)) + CE(f_M(F(y)), argmax f_M(y)),

f_M a LeNet-5 trained 10 epochs on the embedded 10,000 MNIST training digits (seed 1): no UCI
label enters training (``--both``: a second LeNet-5, 30 epochs on the UCI training labels,
reads the MNIST->UCI translations, as in section 9b but with LeNets; the library has since made
that a recipe of its own, ``scripts/train_cyclegan.py --semantic 1 --semantic-classifier lenet5``,
which gives the same run).  It runs ``scripts/train_cyclegan.py --semantic 1`` with the library's
classifier trainer patched to return f_M for both domains, so the model's semantic term reads
both translations with f_M.  A pilot: its checkpoints hold a LeNet, which ``restore_cyclegan``
cannot rebuild, but the generators it saves load with ``load_generators``.

    PYTHONPATH=. python benchmarks/cyclegan_cycada_pilot.py runs/cyclegan-cycada [--both]
"""
import sys
from pathlib import Path
from ganlib.quiet import import_tensorflow_quietly
import_tensorflow_quietly()
import keras, numpy as np
from keras import layers
import ganlib.apps.cyclegan as cg
from ganlib.data import IMAGE_SHAPE
from ganlib.evaluator import as_model_input

def lenet():
    return keras.Sequential([keras.Input(IMAGE_SHAPE), layers.Conv2D(6, 5, padding="same", activation="tanh"),
        layers.AveragePooling2D(2), layers.Conv2D(16, 5, activation="tanh"), layers.AveragePooling2D(2),
        layers.Flatten(), layers.Dense(120, activation="tanh"), layers.Dense(84, activation="tanh"), layers.Dense(10)],
        name="lenet5")

BOTH = "--both" in sys.argv  # also a LeNet-5 on the UCI labels, for the UCI side (section 9b's design)
cache = []


def patched(images, labels, seed=0, epochs=30, architecture=None):
    """The trainer calls this for MNIST first, then for UCI (``epochs`` 30): LeNet-5s instead of the
    evaluator's network; with MNIST labels only, the MNIST one serves both domains."""
    if cache and not BOTH:
        return cache[0]
    keras.utils.set_random_seed(seed)
    net = lenet()
    aug = keras.Sequential([keras.Input(IMAGE_SHAPE), layers.RandomRotation(10/360, seed=seed),
                            layers.RandomZoom(0.1, seed=seed+1), layers.RandomTranslation(2/28, 2/28, seed=seed+2), net])
    aug.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    aug.fit(as_model_input(images), np.asarray(labels), epochs=10 if not cache else epochs, batch_size=64, verbose=0)
    net.trainable = False
    cache.append(net)
    print("LeNet-5 trained on", len(images), "images", flush=True)
    return net


cg.train_digit_network = patched

sys.argv = ["train_cyclegan.py", "--out", sys.argv[1], "--epochs", "40", "--semantic", "1"]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import train_cyclegan
train_cyclegan.CycleGANTrainer = cg.CycleGANTrainer
train_cyclegan.main()
