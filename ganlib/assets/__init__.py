"""Files shipped inside the package, each checked against the sha256 in ``manifest.json``.

>>> from ganlib import assets
>>> assets.path("mnist_subset.npz")          # doctest: +SKIP
PosixPath('.../ganlib/assets/mnist_subset.npz')

:func:`path` refuses a file whose content does not match its recorded digest, so a
truncated or edited asset is never half-read.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ganlib.errors import DataError, IntegrityError

ASSET_DIR = Path(__file__).resolve().parent
MANIFEST = ASSET_DIR / "manifest.json"

_verified: set[Path] = set()


def sha256_file(file: str | Path) -> str:
    """Hex sha256 digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(file, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest() -> dict[str, dict]:
    """The manifest: asset name -> {"sha256": ..., plus free-form provenance fields}."""
    with open(MANIFEST, encoding="utf-8") as handle:
        return json.load(handle)


def verify_file(file: str | Path, expected_sha256: str) -> Path:
    """Return ``file`` as a Path if its sha256 is ``expected_sha256``; raise IntegrityError if not."""
    file = Path(file)
    actual = sha256_file(file)
    if actual != expected_sha256:
        raise IntegrityError(
            f"{file} is corrupt or was replaced: sha256 {actual[:16]}..., expected "
            f"{expected_sha256[:16]}...; delete it and reinstall or re-download it"
        )
    return file


def path(name: str) -> Path:
    """Path of the shipped asset ``name``, verified against the manifest (once per process)."""
    entries = manifest()
    if name not in entries:
        known = ", ".join(sorted(entries)) or "none"
        raise DataError(f"no shipped asset named {name!r}; known assets: {known}")
    file = ASSET_DIR / name
    if not file.is_file():
        raise DataError(f"shipped asset {file} is missing; reinstall ganlib (pip install -e .)")
    if file not in _verified:
        verify_file(file, entries[name]["sha256"])
        _verified.add(file)
    return file


def record(name: str, **provenance) -> str:
    """Record the sha256 (and provenance fields) of ``ASSET_DIR / name`` in the manifest."""
    entries = manifest() if MANIFEST.exists() else {}
    digest = sha256_file(ASSET_DIR / name)
    entries[name] = {**entries.get(name, {}), **provenance, "sha256": digest}
    MANIFEST.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    _verified.discard(ASSET_DIR / name)
    return digest
