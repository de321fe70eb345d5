"""Applications of GANs named by the source (3.2.5), each trained, measured and shipped.

* :mod:`ganlib.apps.conditional`: BigGAN-style class-conditional generation (``cgan-mnist``).
* :mod:`ganlib.apps.cyclegan`: CycleGAN between MNIST and the UCI handwritten digits.
* :mod:`ganlib.apps.anogan`: AnoGAN and f-AnoGAN anomaly detection with one digit held out.
* :mod:`ganlib.apps.augment`: few-label classifiers trained with and without generated digits.

The protocols that measure them (the book's tables) live apart, in :mod:`ganlib.studies`.
"""
