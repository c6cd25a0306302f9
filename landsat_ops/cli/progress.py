"""The one-line progress display of ``landsat-ops render`` on a terminal (stderr)."""

from __future__ import annotations

import time

import click

__all__ = ["Progress"]


class Progress:
    """A one-line progress display on a terminal (stderr); silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.start = time.monotonic()
        self.last = ""

    def __call__(self, step: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * done / total) if total else width
        line = (
            f"\r{step:<11} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
            f"{time.monotonic() - self.start:6.1f}s"
        )
        if line != self.last:
            click.echo(line, nl=False, err=True)
            self.last = line

    def close(self) -> None:
        if self.enabled and self.last:
            click.echo("", err=True)
