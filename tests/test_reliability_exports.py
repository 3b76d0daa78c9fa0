"""Issue 17 #9 and #10: CSV exports neutralise formula-looking cells (OWASP: leading apostrophe) on every
export path; `--csv` refuses a path inside the workspace folder (it once overwrote manifest.json)."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from assistant.commands.segments import segment_members_cmd
from models.data.export import neutralise_formulas, to_csv_safe
from models.data.validate import validate_table
from models.data.workspace import Workspace
from ui.view import csv_for_rows

EVIL = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "ok", "a=b"]


def test_formula_cells_get_a_leading_apostrophe_numbers_untouched():
    df = pd.DataFrame({"customer_id": pd.array(EVIL, dtype="string"), "obj": EVIL, "amount": [-1.5] * len(EVIL)})
    out = neutralise_formulas(df)
    expected = ["'" + v for v in EVIL[:6]] + ["ok", "a=b"]
    assert out["customer_id"].tolist() == expected and out["obj"].tolist() == expected
    assert out["amount"].tolist() == [-1.5] * len(EVIL)
    assert df["obj"].tolist() == EVIL  # the caller's frame is not changed


def test_every_export_path_neutralises(tmp_path, fake_ctx):
    df = pd.DataFrame({"customer_id": EVIL[:1], "n": [1]})
    to_csv_safe(df, tmp_path / "a.csv")
    assert pd.read_csv(tmp_path / "a.csv")["customer_id"][0] == "'" + EVIL[0]
    ui_path = csv_for_rows([{"customer_id": EVIL[0], "n": 1}], tmp_path / "ui", "x")
    assert pd.read_csv(ui_path)["customer_id"][0] == "'" + EVIL[0]
    tool_path = fake_ctx.export_csv(df, "members")
    assert pd.read_csv(tool_path)["customer_id"][0] == "'" + EVIL[0]


def test_csv_inside_the_workspace_is_refused(tmp_path, cj_small):
    ws = Workspace(tmp_path / "ws")
    ws.ingest({"orders": validate_table("orders", cj_small["orders"].head(50).reset_index(drop=True))})
    before = ws.manifest_path.read_bytes()
    for target in (ws.manifest_path, ws.path / "data" / "x.csv", ws.path / "artifacts" / "m.csv"):
        res = CliRunner().invoke(segment_members_cmd, ["S1", "-w", str(ws.path), "--csv", str(target)])
        assert res.exit_code == 2 and "inside the workspace folder" in res.output, res.output
    assert ws.manifest_path.read_bytes() == before
