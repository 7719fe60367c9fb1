"""The form declaration itself (toolkit/form.py)."""
from __future__ import annotations

import ast
from collections import Counter

import builders
from toolkit import form


def test_every_public_constant_is_bound_once():
    """A constant bound twice (first without cells) lets a reader of the module use the wrong one."""
    tree = ast.parse((builders.ROOT / "toolkit" / "form.py").read_text(encoding="utf-8"))
    bound: Counter = Counter()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name) and not name.id.startswith("_"):
                    bound[name.id] += 1
    assert [name for name, n in bound.items() if n > 1] == []


def test_every_public_field_and_formula_has_its_cells():
    for item in list(form.iter_named()) + [form.SUBGRANT_TOTAL, form.DEVIATION_NOTE]:
        assert item.sheet and item.cell, item.name
    for table in form.TABLES:
        assert all(f.last for f in table.columns), table.key
