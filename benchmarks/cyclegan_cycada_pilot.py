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
import ganlib.apps.cyclegan as cg

BOTH = "--both" in sys.argv  # also a LeNet-5 on the UCI labels, for the UCI side (section 9b's design)
cache = []
train_network = cg.train_digit_network


def patched(images, labels, seed=0, epochs=30, architecture=None):
    """The trainer calls this for MNIST first, then for UCI (``epochs`` 30): LeNet-5s (the library's
    own, 10 epochs on MNIST) instead of the evaluator's network; with MNIST labels only, the MNIST
    one serves both domains."""
    if cache and not BOTH:
        return cache[0]
    net = train_network(images, labels, seed, 10 if not cache else epochs, "lenet5")
    cache.append(net)
    print("LeNet-5 trained on", len(images), "images", flush=True)
    return net


cg.train_digit_network = patched

sys.argv = ["train_cyclegan.py", "--out", sys.argv[1], "--epochs", "40", "--semantic", "1"]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import train_cyclegan
train_cyclegan.CycleGANTrainer = cg.CycleGANTrainer
train_cyclegan.main()
