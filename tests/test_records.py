"""scripts/record_full_run.py, and the record the book ships in book/records/dcgan-mnist."""

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from ganlib import assets

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "book" / "records" / "dcgan-mnist"

_spec = importlib.util.spec_from_file_location("record_full_run", ROOT / "scripts" / "record_full_run.py")
record_full_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(record_full_run)


def fake_run(directory: Path, epochs: int = 4) -> Path:
    """A run directory shaped like one `ganlib train` wrote and time_to_quality.py scored."""
    directory.mkdir()
    with open(directory / "history.jsonl", "w") as history, open(directory / "scores.jsonl", "w") as scores:
        for epoch in range(1, epochs + 1):
            history.write(json.dumps({"epoch": epoch, "seconds": 10.5, "d_loss": 0.5}) + "\n")
            scores.write(json.dumps({"epoch": epoch, "fid": 100.0 / epoch, "n": 500}) + "\n")
    for epoch in range(1, epochs + 1):
        (directory / f"samples-{epoch:04d}.png").write_bytes(bytes([epoch]) * 100)
    (directory / "generator.json").write_text(json.dumps({"seed": 0, "epochs": epochs, "sha256": "ab" * 32}))
    (directory / "ckpt-0001.weights.h5").write_bytes(b"x" * 1000)  # never copied
    return directory


def sums_of(directory: Path) -> dict:
    lines = (directory / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (line.split("  ") for line in lines)}


def test_record_copies_the_chosen_files_and_lists_their_sha256(tmp_path):
    run = fake_run(tmp_path / "run")
    out = tmp_path / "record"
    assert record_full_run.main([str(run), str(out), "--epochs", "1", "4", "--command", "ganlib train X"]) == 0
    names = sorted(path.name for path in out.iterdir())
    assert names == ["README.md", "SHA256SUMS", "generator.json", "history.jsonl", "samples-0001.png",
                     "samples-0004.png", "scores.jsonl"]
    assert (out / "history.jsonl").read_bytes() == (run / "history.jsonl").read_bytes()
    sums = sums_of(out)
    assert set(sums) == set(names) - {"README.md", "SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    readme = (out / "README.md").read_text()
    assert "ganlib train X" in readme and "42 s of training" in readme and "500 samples per epoch" in readme
    assert all(digest in readme for digest in sums.values())


def test_record_refuses_missing_grids_oversize_and_overwriting(tmp_path):
    run = fake_run(tmp_path / "run")
    out = tmp_path / "record"
    with pytest.raises(record_full_run.RecordError, match="has 4 epochs"):
        record_full_run.record(run, out, epochs=[1, 5])
    (run / "samples-0002.png").unlink()
    with pytest.raises(record_full_run.RecordError, match="samples-0002.png"):
        record_full_run.record(run, out, epochs=[2])
    with pytest.raises(record_full_run.RecordError, match="more than 300"):
        record_full_run.record(run, out, epochs=[1], max_bytes=300)
    record_full_run.record(run, out, epochs=[1, 3])
    with pytest.raises(record_full_run.RecordError, match="--force"):
        record_full_run.record(run, out, epochs=[4])
    record_full_run.record(run, out, epochs=[4], force=True)
    assert sorted(path.name for path in out.glob("samples-*.png")) == ["samples-0004.png"]
    assert record_full_run.main([str(run), str(tmp_path / "other"), "--epochs", "9"]) == 1


def test_record_refuses_incomplete_or_repeated_epoch_logs(tmp_path):
    run = fake_run(tmp_path / "run")
    with open(run / "history.jsonl", "a") as history:
        history.write(json.dumps({"epoch": 4, "seconds": 1.0}) + "\n")  # epoch 4 again: a resumed run
    with pytest.raises(record_full_run.RecordError, match="not 1..N"):
        record_full_run.record(run, tmp_path / "out", epochs=[1])
    (run / "history.jsonl").write_text('{"epoch": 1, "seconds": 1}\n')
    with pytest.raises(record_full_run.RecordError, match="score every epoch"):
        record_full_run.record(run, tmp_path / "out", epochs=[1])


@pytest.mark.parametrize("record", sorted(p.name for p in RECORD.parent.iterdir() if p.is_dir()))
def test_every_record_in_the_book_is_intact_and_small(record):
    directory = RECORD.parent / record
    sums = sums_of(directory)
    assert {"history.jsonl", "scores.jsonl", "generator.json"} <= set(sums)
    for name, digest in sums.items():
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == digest, name
    assert {path.name for path in directory.iterdir()} == set(sums) | {"README.md", "SHA256SUMS"}
    assert sum(path.stat().st_size for path in directory.iterdir()) < 1_000_000


def test_the_dcgan_mnist_record_belongs_to_the_shipped_model():
    history = [json.loads(line) for line in (RECORD / "history.jsonl").read_text().splitlines()]
    scores = [json.loads(line) for line in (RECORD / "scores.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in history] == [line["epoch"] for line in scores] == list(range(1, 31))
    shipped = json.loads(assets.path("dcgan-mnist.json").read_text())
    config = json.loads((RECORD / "generator.json").read_text())
    # The record's final generator is the shipped one, and its training time is the one shipped.
    assert config["sha256"] == shipped["sha256"]
    assert round(sum(line["seconds"] for line in history)) == shipped["train_seconds"]
    assert shipped["command"] in (RECORD / "README.md").read_text()


@pytest.mark.parametrize("model, record", [("cgan-mnist", "cgan-mnist-training.json"),
                                           ("cgan-concat-mnist", "cgan-concat-training.json")])
def test_the_conditional_training_records_belong_to_the_shipped_models(model, record):
    shipped = json.loads(assets.path(f"{model}.json").read_text())
    training = json.loads((RECORD.parent / record).read_text())
    epochs = training["epochs"]
    assert training["model"] == model and [e["epoch"] for e in epochs] == list(range(1, len(epochs) + 1))
    assert all(0 <= e["label_accuracy"] <= 1 for e in epochs)
    # The shipped epoch is the one with the highest label accuracy (ties: the later).
    assert max(epochs, key=lambda e: (e["label_accuracy"], e["epoch"]))["epoch"] == shipped["epochs"]
