"""Every item of both seed documents is taught by a published page (content/seed-map.yaml)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from portfolio.config import ROOT
from portfolio.data import DataSet

SEEDS = ROOT / "content" / "seeds"
SECTIONS = (
    "Topic Synopsis",
    "Key Concepts & Core Principles",
    "Exam Tips & Revision Strategies",
    "Common Misconceptions & Mistakes to Avoid",
    "Examiner Marking Points",
)


def seed_items(path: Path) -> list[tuple[str, str]]:
    """(section, item) for every bullet; the synopsis counts as one item."""
    items: list[tuple[str, str]] = []
    section = None
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        for name in SECTIONS:
            if stripped.endswith(name) or stripped == name:
                section = name
                if name == "Topic Synopsis":
                    items.append((name, "synopsis"))
                break
        else:
            if section and stripped.startswith("- "):
                bullet = stripped[2:].strip()
                items.append((section, bullet.split(":", 1)[0].strip()))
    return items


@pytest.fixture(scope="module")
def seed_map() -> list[dict[str, str]]:
    return yaml.safe_load((ROOT / "content" / "seed-map.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_every_seed_item_is_mapped_to_a_published_page(
    seed: str, seed_map: list[dict[str, str]], shipped_data: DataSet
) -> None:
    pages = {p.slug: p for p in shipped_data.pages}
    items = seed_items(SEEDS / seed)
    assert len(items) >= 15, items  # the parser found the document's structure
    mapped = {(e["section"], e["item"]): e for e in seed_map if e["seed"] == seed}
    for section, item in items:
        entry = mapped.get((section, item))
        assert entry is not None, f"{seed}: {section}: {item!r} is taught by no page"
        page = pages.get(entry["page"])
        assert page is not None and page.status == "published", entry
        body = re.sub(r"\s+", " ", page.body.lower())
        assert entry["phrase"].lower() in body, entry


def test_the_map_names_only_real_items(seed_map: list[dict[str, str]]) -> None:
    real = {(p.name, s, i) for p in SEEDS.glob("*.txt") for s, i in seed_items(p)}
    for entry in seed_map:
        assert (entry["seed"], entry["section"], entry["item"]) in real, entry


def test_the_shipped_seeds_are_the_workplace_seeds() -> None:
    shared = ROOT.parent / "shared" / "seeds"
    if not shared.exists():
        pytest.skip("no ../shared/seeds beside this checkout")
    for path in shared.glob("*.txt"):
        assert (SEEDS / path.name).read_bytes() == path.read_bytes()
