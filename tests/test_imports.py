"""Stages import one way: the mention stage and the builder know nothing of the backends, and
neither backend reaches into the other (the model's path never imports the rules)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "extractor"

# module -> the modules of ours it must never import (directly, at any depth of its own code)
FORBIDDEN = {
    "mentions": {"readers", "narrative", "rules", "llm", "merge", "build", "pipeline", "cli"},
    "build": {"readers", "narrative", "rules", "llm", "merge", "pipeline", "cli"},
    "llm": {"rules", "readers", "narrative", "pipeline", "cli"},
    "merge": {"rules", "llm", "pipeline", "cli"},
    "readers": {"rules", "llm", "merge", "pipeline", "cli"},
    "narrative": {"rules", "llm", "merge", "pipeline", "cli"},
    "rules": {"llm", "merge", "pipeline", "cli"},
    "models": {"ingest", "mentions", "readers", "narrative", "rules", "llm", "merge", "build", "pipeline", "cli"},
}


def imports_of(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("extractor"):
            parts = node.module.split(".")
            if len(parts) > 1:
                out.add(parts[1])
            else:
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("extractor."))
    return out


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_a_stage_does_not_import_the_stages_after_it(module):
    assert imports_of(module) & FORBIDDEN[module] == set()
