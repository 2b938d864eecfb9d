"""A file's SHA-256 (:mod:`geo_patrol.hashing`), read in chunks: the same as hashing it whole."""

from __future__ import annotations

import hashlib

from geo_patrol.hashing import sha256_file


def test_a_file_bigger_than_a_chunk(tmp_path):
    data = bytes(range(256)) * 9000  # 2.3 MB: three chunks of 1 MiB
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert sha256_file(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()
