"""The packaged code: the handlers directory minus caches, content-addressed."""

import tempfile
from pathlib import Path

import pytest

from stacks.base.packaging import clean_copy


@pytest.fixture
def source(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    src = tmp_path / "handlers"
    (src / "store" / "__pycache__").mkdir(parents=True)
    (src / "products.py").write_text("x = 1\n")
    (src / "store" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"cache")
    return src


def test_caches_are_left_out(source):
    copy = clean_copy(source)
    assert copy.name == "handlers"
    assert (copy / "products.py").read_text() == "x = 1\n"
    assert not (copy / "store" / "__pycache__").exists()


def test_same_content_same_place_and_new_content_new_place(source):
    first = clean_copy(source)
    (source / "store" / "__pycache__" / "b.pyc").write_bytes(b"more cache")
    assert clean_copy(source) == first
    (source / "products.py").write_text("x = 2\n")
    assert clean_copy(source) != first


def test_a_concurrent_identical_copy_wins_the_race(source, monkeypatch):
    def lose_race(self, target):
        Path(target).mkdir(parents=True)
        raise OSError("exists")

    monkeypatch.setattr(Path, "rename", lose_race)
    assert clean_copy(source).is_dir()
