"""The command line starts without torch and without loading heavy modules it does not need."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "ray", "matplotlib", "pyarrow", "pandas", "scipy")
ROOT = Path(__file__).resolve().parents[1]


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(m for m in {HEAVY!r} if sys.modules.get(m) is not None)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_building_the_parser_loads_nothing_heavy():
    assert _loaded_after("import simcompute.cli as c; c.build_parser()") == []


def test_import_simcompute_loads_nothing_heavy_until_used():
    assert _loaded_after("import simcompute") == []
    assert "torch" not in _loaded_after("import simcompute as sc; sc.run")


def test_run_needs_no_torch(tmp_path):
    """`simcompute run` with torch made unimportable, as on a base install."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from simcompute.cli import main\n"
        f"rc = main(['run', 'scenarios/quickstart.yaml', '--out', {str(tmp_path / 'q')!r}, '--quiet', '--no-plot'])\n"
        "assert rc == 0, rc"
    )
    assert set(_loaded_after(code)).isdisjoint({"torch", "matplotlib", "ray", "scipy"})
    assert (tmp_path / "q" / "summary.csv").exists()


def test_catalog_kinds_of_the_parser_match_the_catalog():
    from simcompute.catalog import KINDS
    from simcompute.cli import CATALOG_KINDS

    assert tuple(CATALOG_KINDS) == tuple(KINDS)
