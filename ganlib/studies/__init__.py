"""The studies behind the book's tables: protocols that measure the methods of :mod:`ganlib.apps`.

A study module may import its application module; an application module never imports a study.
Results live in ``benchmarks/README.md`` and the book, not here.

* :mod:`ganlib.studies.anomaly`: AnoGAN, f-AnoGAN and baselines with one MNIST digit held out
  (the split, the test and validation subsets, the baselines without a GAN, AUROC, the table).
* :mod:`ganlib.studies.augmentation`: few-label classifiers trained with and without generated
  digits (the subsets, conditions, fair generators, cells, the gate, paired differences).
* :mod:`ganlib.studies.translation`: the CycleGAN between MNIST and the UCI digits judged by
  readers that take no part in training (label preservation, the untranslated baseline, cycle error).
"""
