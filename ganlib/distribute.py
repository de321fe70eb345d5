"""Training on several devices or machines with ``tf.distribute``: the strategies ``ganlib train
--distribute`` names, the CPU split into logical devices for tests and demos, and the per-replica
pieces :meth:`ganlib.gan.GAN.train_step` needs.

Under a strategy with R replicas in sync, ``fit()`` splits every global batch of B images into
R batches of B / R, one per replica, and each optimiser *sums* the replicas' gradients (Keras 3's
``apply_gradients`` all-reduces them with ``ReduceOp.SUM``).  A replica's loss is a mean over its
own B / R images, so :func:`replica_loss` divides it by R: the summed gradient is then the gradient
of the mean over the global batch, as on one device.  Each replica also takes its own rows of the
noise one device would draw for the whole batch (:func:`replica_rows`), and the networks' batch
norm is synchronised (:func:`ganlib.model.batch_normalization`), so two devices follow one
device's steps to float32 rounding (``tests/test_distribute.py``).  With a gradient penalty they
drift further apart (up to 4e-3 in the losses in eight steps): the penalty differentiates D's
gradient, and synchronised batch norm's second derivatives differ from those of Keras'
single-device batch norm, which stops the gradient through the mean in its variance.

``MultiWorkerMirroredStrategy`` (and :func:`split_cpu`) must be set up before TensorFlow runs its
first operation: create the strategy at the start of the program and pass it on.
"""

from __future__ import annotations

import json

from ganlib.quiet import native_stderr_silenced

STRATEGIES = ("none", "mirrored", "multiworker")


def _tensorflow():
    with native_stderr_silenced():  # import without running an op: devices stay uninitialised
        import tensorflow as tf
    return tf


def strategy_for(name=None):
    """The ``tf.distribute`` strategy ``name`` stands for: ``None`` for "none" (or ``None``), a
    ``MirroredStrategy`` over this machine's devices for "mirrored", a
    ``MultiWorkerMirroredStrategy`` over the machines of ``TF_CONFIG`` for "multiworker"; a strategy
    object is returned as it is.  "multiworker" must be asked for before TensorFlow runs any
    operation (RuntimeError saying so otherwise)."""
    if name is None or name == "none":
        return None
    tf = _tensorflow()
    if isinstance(name, tf.distribute.Strategy):
        return name
    if name == "mirrored":
        with native_stderr_silenced():
            return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        try:
            with native_stderr_silenced():
                return tf.distribute.MultiWorkerMirroredStrategy()
        except RuntimeError as error:
            raise RuntimeError(f"{error}: create the multiworker strategy (ganlib.distribute.strategy_for"
                               "('multiworker')) at the start of the program, before TensorFlow runs any "
                               "operation, and pass it to Trainer(distribute=...)") from None
        except (ValueError, KeyError) as error:
            raise ValueError(f"TF_CONFIG does not describe a cluster ({error}); see the README's "
                             "'Training on several devices or machines'") from None
    raise ValueError(f"unknown distribution strategy {name!r}; choose one of {STRATEGIES} "
                     "(or pass a tf.distribute.Strategy)")


def split_cpu(devices: int) -> list[str]:
    """Split the CPU into ``devices`` logical devices and return their names ("/device:CPU:0", ...),
    so that ``MirroredStrategy`` has several replicas on a machine without GPUs (tests, demos).

    It must run before TensorFlow initialises its devices, i.e. before its first operation (and
    so before :func:`ganlib.quiet.import_tensorflow_quietly`, which runs one); RuntimeError if
    that has happened with another number of devices."""
    if not isinstance(devices, int) or devices < 1:
        raise ValueError(f"devices must be a positive integer, got {devices!r}")
    tf = _tensorflow()
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * devices)
    except RuntimeError:
        if len(tf.config.list_logical_devices("CPU")) != devices:
            raise RuntimeError(f"cannot split the CPU into {devices} devices: TensorFlow has initialised its "
                               "devices already; call ganlib.distribute.split_cpu at the start of the "
                               "program, before any TensorFlow operation") from None
    return [device.name for device in tf.config.list_logical_devices("CPU")]


def replicas() -> tuple[int, int]:
    """(number of replicas in sync, this replica's index): (1, 0) outside ``tf.distribute``."""
    tf = _tensorflow()
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context: the strategy's replicas, seen from outside
        return tf.distribute.get_strategy().num_replicas_in_sync, 0
    return context.num_replicas_in_sync, context.replica_id_in_sync_group


def replica_loss(loss):
    """``loss`` (a mean over this replica's batch) divided by the replicas in sync, so that the
    optimisers' sum of the replicas' gradients is the gradient of the mean over the global batch;
    ``loss`` itself on one device."""
    count, _ = replicas()
    return loss if count == 1 else loss / count


def replica_rows(draw, batch_size):
    """This replica's rows of ``draw(count * batch_size)`` (a tensor or a structure of tensors with
    a batch axis): replica i of ``count`` takes rows ``i * batch_size`` to ``(i + 1) * batch_size``,
    so the replicas together see what one device draws for the global batch (if the global batch
    splits evenly, as :class:`ganlib.trainer.Trainer` checks); ``draw(batch_size)`` on one device."""
    count, index = replicas()
    if count == 1:
        return draw(batch_size)
    tf = _tensorflow()
    return tf.nest.map_structure(lambda rows: rows[index * batch_size:(index + 1) * batch_size],
                                 draw(count * batch_size))


def reducible(value):
    """``value``, a scalar a train step returns, in a shape ``fit()`` can average over the workers of a
    cluster: Keras 3.15 averages a multi-worker ``MultiWorkerMirroredStrategy``'s step outputs with
    ``strategy.reduce("MEAN", value, axis=0)``, which fails on a scalar (tensorflow/tensorflow#72388),
    so there it gets shape (1,) (and the average is a scalar again); elsewhere it is ``value`` itself."""
    tf = _tensorflow()
    strategy = tf.distribute.get_strategy()
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and strategy.extended._in_multi_worker_mode():
        return tf.reshape(value, (1,))
    return value


def shard_by_data(dataset):
    """``dataset`` sharded by data across workers: each worker runs the same pipeline and keeps its
    share of every global batch (ganlib's pipelines read no files to shard by)."""
    tf = _tensorflow()
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def is_chief(strategy=None) -> bool:
    """Whether this process writes the run's files: always without a cluster; under
    ``MultiWorkerMirroredStrategy`` only the chief (the "chief" task, else worker 0)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type in (None, "chief"):
        return True
    return resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()


def tf_config(workers: list[str], index: int) -> str:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of ``workers`` ("host:port" each)."""
    return json.dumps({"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": index}})


__all__ = ["STRATEGIES", "strategy_for", "split_cpu", "replicas", "replica_loss", "replica_rows", "reducible",
           "shard_by_data", "is_chief", "tf_config"]
