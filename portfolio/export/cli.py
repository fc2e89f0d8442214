"""Export commands that need no app: `portfolio pdf-check`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from portfolio.export.pdfcheck import RULES, check_pdf


@click.command("pdf-check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def pdf_check_command(file: Path) -> None:
    """Check FILE against the PDF/A-3b and PDF/UA-1 rules that can be read off its objects
    (the README lists them); exit 1 on any finding."""
    findings = check_pdf(file.read_bytes())
    for finding in findings:
        click.echo(f"{finding.rule}: {finding.message}", err=True)
    if findings:
        click.echo(f"{len(findings)} finding(s) in {file}.", err=True)
        sys.exit(1)
    click.echo(f"PDF/A-3b checks passed ({len(RULES)} rules)")
