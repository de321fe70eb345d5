"""AnoGAN pilot, held-out 0 only: the latent search's learning rate on 200 test 0s and 200 others.

    PYTHONPATH=. nice -n 10 python benchmarks/anogan_pilot_lr.py runs/anogan-3ep/digit-0

(run on a 3-epoch GAN of scripts/train_anogan.py --epochs 3; the results are in
benchmarks/README.md, section 8).
"""
from ganlib.quiet import import_tensorflow_quietly
tf = import_tensorflow_quietly()
import numpy as np, time, sys
from ganlib.apps.anogan import auroc, invert_latent, load_run, split_for_digit
from ganlib.data import read_mnist_npz, to_model_range
mnist = read_mnist_npz("/work/shared/data/mnist.npz")
_, x_test, is_anomaly = split_for_digit(mnist, 0)
rng = np.random.default_rng(0)
idx = np.concatenate([rng.choice(np.flatnonzero(is_anomaly), 200, replace=False), rng.choice(np.flatnonzero(~is_anomaly), 200, replace=False)])
x, y = to_model_range(x_test[idx]), is_anomaly[idx]
m = load_run(sys.argv[1], 0)
print("f-anogan", auroc(m.encoder_scores(x), y), flush=True)
for steps, lr in [(100, 0.05), (100, 0.2)]:
    t = time.time()
    z, s, l = invert_latent(m.generator, m.features, x, steps=steps, learning_rate=lr)
    print(steps, lr, "auroc", round(auroc(s, y), 4), "loss", l[0].round(1), l[steps // 2].round(1), l[-1].round(1), round(time.time() - t), "s", flush=True)
