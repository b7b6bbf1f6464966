"""`nbgrader collect` through the course's config: a link a student placed in the exchange's
inbound folder is not followed into `submitted/` (stock collect does follow it: the control)."""

import os

import pytest


def _inbound_submission(course, exchange, student="mallory"):
    inbound = exchange / "calcgrade" / "inbound"
    folder = inbound / f"{student}+calculus+2026-11-25 14:00:00.000000 UTC"
    folder.mkdir(parents=True)
    (folder / "tangent.ipynb").write_bytes(
        (course.root / "release" / "calculus" / "tangent.ipynb").read_bytes())
    (folder / "timestamp.txt").write_text("2026-11-25 14:00:00.000000 UTC")
    os.symlink(course.root / "gradebook.db", folder / "notes.txt")
    os.mkfifo(folder / "data.csv")
    linked = inbound / "eve+calculus+2026-11-25 14:00:00.000000 UTC"
    os.symlink(folder, linked)


@pytest.mark.parametrize("stock", [False, True], ids=["calcgrade", "stock-control"])
def test_collect_does_not_follow_links(course, tmp_path, stock):
    exchange = tmp_path / "exchange"
    _inbound_submission(course, exchange)
    args = ["collect", "calculus", f"--Exchange.root={exchange}"]
    if stock:
        args.append("--ExchangeFactory.collect=nbgrader.exchange.default.collect.ExchangeCollect")
        os.unlink(next((exchange / "calcgrade" / "inbound").glob("mallory*")) / "data.csv")
    result = course.nbgrader(*args)
    submitted = course.root / "submitted" / "mallory" / "calculus"
    assert (submitted / "tangent.ipynb").is_file()
    notes = submitted / "notes.txt"
    if stock:  # the gradebook's content, collected as an ordinary file
        assert notes.read_bytes().startswith(b"SQLite format 3")
        assert (course.root / "submitted" / "eve" / "calculus" / "tangent.ipynb").exists()
    else:
        assert not os.path.lexists(notes) and not os.path.lexists(submitted / "data.csv")
        assert not (course.root / "submitted" / "eve" / "calculus").exists()
        assert "notes.txt (a link to" in result.stderr and "data.csv (a FIFO)" in result.stderr
