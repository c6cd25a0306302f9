"""Running the ``landsat-ops`` command in-process and checking its one-line errors."""

from __future__ import annotations

from landsat_ops.cli import main


def run(capsys, *args) -> tuple[int, str, str]:
    """``landsat-ops ARGS`` in this process: exit code, stdout, stderr."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(err: str, *fragments: str) -> None:
    """``err`` is one ``landsat-ops: error: ...`` line holding every fragment, no traceback."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got: {err!r}"
    assert lines[0].startswith("landsat-ops: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
