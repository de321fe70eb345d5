"""Shipped generators for the book's web pages: architecture, weights and noise in one JavaScript file.

The static site runs the latent explorer and the conditional sampler in the reader's browser,
with TensorFlow.js doing the arithmetic (``site/live/ganlib-live.js``).  :func:`export_model`
writes what that page needs for one shipped generator (:mod:`ganlib.pretrained`) as
``<name>.js``: a call ``GanlibLive.register(manifest, "<base64>")``.  A script file rather than
a ``.json`` fetched by the page, because browsers refuse ``fetch`` on pages opened from disk
(``file://``), and the site must work offline that way too.

The manifest lists the generator as a chain of operations (:data:`OPS`), each with the
offsets of its tensors in one float32 little-endian blob, and records the blob's length and
sha256; the page and :func:`load_export` refuse a file whose blob does not match.  The blob
also carries the noise of the first seeds, drawn here by NumPy exactly as the library draws
it (:func:`ganlib.latent.seed_noise`, :func:`ganlib.apps.conditional.truncated_noise`), so the
page shows the same digits for the same seed as ``ganlib`` in Python:

* ``noise``: seeds 0..``seeds - 1``, each a stream of standard normal draws of
  ``np.random.default_rng(seed)`` (float32).  The first ``latent_dim`` numbers are
  ``seed_noise(seed)``; a conditional sampler reads ``n x latent_dim`` numbers, then redraws
  every ``|z| > T`` from the rest of the stream in row-major order, as
  :func:`ganlib.latent.truncated_normal` does.

``ganlib export-web`` is the command; the book's build calls :func:`export_model` for
:data:`WEB_MODELS`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import numpy as np

from ganlib.errors import DataError, GanlibError
from ganlib.latent import TRUNCATIONS  # multiples of 1/4: exact in float32, so |z| > T agrees with NumPy's

FORMAT = "ganlib-web/1"
WEB_MODELS = ("dcgan-mnist", "cgan-mnist")  # the explorer's and the conditional sampler's generators
EXPLORER_SEEDS = 100  # seeds 0..99 for the latent explorer: seed_noise(seed) each
SAMPLER_SEEDS = 20  # seeds 0..19 for the conditional sampler
SAMPLER_IMAGES = 10  # one row of ten digits per seed
SAMPLER_STREAM = 4096  # draws per seed: ten latent vectors at T = 0.5 need about 2,600 (sd 60)
OPS = ("categorical_code", "concat_label", "dense", "batch_norm", "conditional_batch_norm", "relu",
       "reshape", "conv2d_transpose")
_CALL = re.compile(r'^GanlibLive\.register\((\{.*\}), "([A-Za-z0-9+/=]*)"\);\s*$', re.S)


class _Blob:
    """Float32 tensors laid end to end; ``add`` returns the reference the manifest stores."""

    def __init__(self):
        self.parts, self.size = [], 0

    def add(self, array) -> dict:
        array = np.ascontiguousarray(np.asarray(array, dtype="<f4"))
        reference = {"offset": self.size, "shape": list(array.shape)}
        self.parts.append(array.ravel())
        self.size += array.size
        return reference

    def bytes(self) -> bytes:
        return np.concatenate(self.parts).tobytes() if self.parts else b""


def _batch_norm(layer, blob: _Blob) -> dict:
    op = {"op": "batch_norm", "epsilon": float(layer.epsilon),
          "mean": blob.add(layer.moving_mean), "variance": blob.add(layer.moving_variance)}
    if layer.scale:
        op["gamma"] = blob.add(layer.gamma)
    if layer.center:
        op["beta"] = blob.add(layer.beta)
    return op


def _layer_ops(layer, blob: _Blob) -> list[dict]:
    """The operations of one Keras layer of a ganlib generator (nested models are walked)."""
    from keras import layers

    from ganlib.apps.conditional import ConditionalBatchNorm, OneHotLabel
    from ganlib.model import CategoricalCode

    if isinstance(layer, layers.InputLayer):
        return []
    if hasattr(layer, "layers"):  # a nested model, as the concatenating generator's body
        return [op for inner in layer.layers for op in _layer_ops(inner, blob)]
    if isinstance(layer, CategoricalCode):
        return [{"op": "categorical_code", "categories": int(layer.categories)}]
    if isinstance(layer, OneHotLabel) and layer.image_shape is None:
        return [{"op": "concat_label", "classes": int(layer.classes)}]
    if isinstance(layer, layers.Concatenate):
        return []  # the concatenation of [z, one_hot(y)], done by concat_label
    if isinstance(layer, layers.Dense) and getattr(layer.activation, "__name__", "") == "linear":
        op = {"op": "dense", "kernel": blob.add(layer.kernel)}
        if layer.use_bias:
            op["bias"] = blob.add(layer.bias)
        return [op]
    if isinstance(layer, ConditionalBatchNorm):
        return [{"op": "conditional_batch_norm", "epsilon": float(layer.norm.epsilon),
                 "mean": blob.add(layer.norm.moving_mean), "variance": blob.add(layer.norm.moving_variance),
                 "gamma": blob.add(layer.gamma), "beta": blob.add(layer.beta)}]
    if isinstance(layer, layers.BatchNormalization):
        return [_batch_norm(layer, blob)]
    if isinstance(layer, layers.ReLU) and layer.max_value is None and not layer.negative_slope \
            and not layer.threshold:
        return [{"op": "relu"}]
    if isinstance(layer, layers.Reshape):
        return [{"op": "reshape", "shape": [int(s) for s in layer.target_shape]}]
    if isinstance(layer, layers.Conv2DTranspose):
        activation = getattr(layer.activation, "__name__", "linear")
        if activation not in ("linear", "tanh") or layer.padding != "same" or layer.data_format != "channels_last" \
                or tuple(layer.dilation_rate) != (1, 1):
            raise GanlibError(f"layer {layer.name!r}: only 'same'-padded, channels-last, undilated "
                              f"Conv2DTranspose with a linear or tanh activation can be exported")
        op = {"op": "conv2d_transpose", "kernel": blob.add(layer.kernel),  # (h, w, out, in), as TF.js wants
              "strides": [int(s) for s in layer.strides], "filters": int(layer.filters), "activation": activation}
        if layer.use_bias:
            op["bias"] = blob.add(layer.bias)
        return [op]
    raise GanlibError(f"layer {layer.name!r} ({type(layer).__name__}) has no web export; the exporter knows "
                      f"the layers of ganlib's image generators ({', '.join(OPS)})")


def generator_ops(generator, blob: _Blob | None = None) -> list[dict]:
    """A generator as the manifest's chain of operations; its weights go into ``blob``."""
    blob = _Blob() if blob is None else blob
    return [op for layer in generator.layers for op in _layer_ops(layer, blob)]


def noise_streams(seeds: int, draws: int) -> np.ndarray:
    """(seeds, draws) float32: row s is the first ``draws`` standard normals of ``default_rng(s)``."""
    return np.stack([np.random.default_rng(seed).standard_normal(draws).astype(np.float32)
                     for seed in range(seeds)])


def export_model(name: str, out_dir) -> dict:
    """Write ``out_dir/<name>.js`` for the shipped generator ``name``; return its manifest.

    The manifest holds the format, the model's name, kind (``"explorer"`` for a generator of noise
    alone, ``"conditional"`` for one of noise and label), ``latent_dim``, the InfoGAN layout
    (``categories``, ``category_values``, ``continuous`` coordinates) or ``classes``, the
    operations, the noise table's reference, and ``bytes`` and ``sha256`` of the blob.
    """
    from ganlib import pretrained
    from ganlib.apps.conditional import _classes, is_conditional
    from ganlib.latent import category_values, code_layout

    generator = pretrained.load(name)  # raises GanlibError naming the shipped models for another name
    settings = pretrained.settings(name)
    blob = _Blob()
    ops = generator_ops(generator, blob)
    manifest = {"format": FORMAT, "name": name, "weights_sha256_h5": settings.get("sha256")}
    if is_conditional(generator):
        latent_dim = int(generator.input_shape[0][-1])
        manifest.update(kind="conditional", latent_dim=latent_dim, classes=_classes(generator),
                        images=SAMPLER_IMAGES, truncations=list(TRUNCATIONS),
                        noise=blob.add(noise_streams(SAMPLER_SEEDS, SAMPLER_STREAM)))
    else:
        layout = code_layout(generator, int(settings.get("continuous", 0)))
        latent_dim = layout["latent_dim"]
        values = category_values(layout["categories"]).tolist() if layout["categories"] else []
        manifest.update(kind="explorer", latent_dim=latent_dim, categories=layout["categories"],
                        category_values=values, continuous=layout["continuous"],
                        noise=blob.add(noise_streams(EXPLORER_SEEDS, latent_dim)))
    data = blob.bytes()
    manifest.update(ops=ops, bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{name}.js"
    partial = target.with_suffix(".js.partial")
    partial.write_text(f"GanlibLive.register({json.dumps(manifest, separators=(',', ':'))}, "
                       f"\"{base64.b64encode(data).decode('ascii')}\");\n", encoding="ascii")
    partial.replace(target)  # a file that is there is whole
    return manifest


def load_export(path) -> tuple[dict, np.ndarray]:
    """Read a file :func:`export_model` wrote: (manifest, blob as float32).  Raises DataError if it
    is not such a file, or its blob's length or sha256 differs from the manifest's (corrupt)."""
    path = Path(path)
    text = path.read_text(encoding="ascii", errors="replace")
    match = _CALL.match(text)
    if match is None:
        raise DataError(f"{path} is not a ganlib web export (GanlibLive.register(...)); "
                        f"write it again with `ganlib export-web`")
    manifest = json.loads(match.group(1))
    if manifest.get("format") != FORMAT:
        raise DataError(f"{path} has format {manifest.get('format')!r}, this ganlib reads {FORMAT!r}; "
                        f"export it again with `ganlib export-web`")
    try:
        data = base64.b64decode(match.group(2), validate=True)
    except ValueError as error:
        raise DataError(f"{path}: the weights are not valid base64 ({error}); the file is corrupt, "
                        f"export it again") from error
    if len(data) != manifest["bytes"] or hashlib.sha256(data).hexdigest() != manifest["sha256"]:
        raise DataError(f"{path}: the weights do not match the sha256 in the file (corrupt or cut short); "
                        f"export it again with `ganlib export-web`")
    return manifest, np.frombuffer(data, dtype="<f4")


def tensor(blob: np.ndarray, reference: dict) -> np.ndarray:
    """The array a manifest reference (``offset``, ``shape``) points to in a blob."""
    size = int(np.prod(reference["shape"], dtype=np.int64))
    return blob[reference["offset"]:reference["offset"] + size].reshape(reference["shape"])
