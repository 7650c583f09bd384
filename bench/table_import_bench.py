"""Time `import-table` on a review-sized literature table (583 rows, Chinese headers, 4 rows that
repeat an earlier row's label with other values, as in the hard-carbon review table of issue 17).

The table is generated (same layout and size as the review's, values drawn at random within the
ranges such tables print), so the figure is about the importer, not about one paper.  Usage:

    nice -n 10 .venv/bin/python bench/table_import_bench.py [ROWS]

Prints the seconds for the dry run, the import (parse + one write transaction) and a re-import
(unchanged), with the rows taken and refused.  Recorded in docs/performance.md.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

import anodelab

HEADER = "样品,前驱体,碳化温度 (°C),比表面积 (m2 g-1),d002 (nm),La (nm),Lc (nm),首次库伦效率 (%),可逆容量 (mA h g-1),平台容量 (mA h g-1),斜坡容量 (mA h g-1),电流密度 (mA g-1),文献"
MAP = """source: {doi: 10.1000/bench.review, table: Table S1}
label: [样品, 文献]
columns:
  前驱体: ignore
  碳化温度: {parameter: carbonization_temperature_C}
  比表面积: {property: bet_surface_area}
  首次库伦效率: {property: initial_coulombic_efficiency}
  可逆容量: {property: charge_capacity}
  电流密度: {condition: current_density}
"""


def make_table(rows: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    lines = [HEADER]
    for i in range(rows):
        t = rng.choice(range(900, 1700, 100))
        ref = i // 6 + 1  # six samples per paper
        label = f"HC-{t}-{i % 6}"
        plateau = round(rng.uniform(50, 250), 1)
        slope = round(rng.uniform(80, 200), 1)
        lines.append(
            f"{label},biomass {ref},{t},{rng.uniform(2, 400):.1f},{rng.uniform(0.36, 0.40):.3f},"
            f"{rng.uniform(2, 6):.2f},{rng.uniform(0.8, 2.0):.2f},{rng.uniform(60, 92):.1f},"
            f"{plateau + slope:.1f},{plateau},{slope},{rng.choice([20, 25, 30, 50])},[{ref}]"
        )
    for k in range(4):  # four rows repeat a label of an earlier paper's block with other values
        first = lines[1 + 6 * k].split(",")
        first[2] = str(int(first[2]) + 50)
        lines.append(",".join(first))
    return "\n".join(lines) + "\n"


def main(rows: int = 579) -> None:
    folder = Path(tempfile.mkdtemp())
    table, mapping = folder / "review.csv", folder / "review.yaml"
    table.write_text(make_table(rows), encoding="utf-8")
    mapping.write_text(MAP, encoding="utf-8")
    kb = anodelab.open(folder / "kb.db", create=True)
    n = len(table.read_text(encoding="utf-8").splitlines()) - 1
    t0 = time.perf_counter()
    dry = kb.import_table(table, mapping=mapping, dry_run=True)
    t1 = time.perf_counter()
    report = kb.import_table(table, mapping=mapping)
    t2 = time.perf_counter()
    again = kb.import_table(table, mapping=mapping)
    t3 = time.perf_counter()
    rows_info = report.to_dict()["rows"]
    print(f"{n} rows: dry run {t1 - t0:.2f} s ({dry.status}), import {t2 - t1:.2f} s "
          f"({report.status}: rows taken {rows_info['taken']}, refused {rows_info['refused']}, "
          f"measurements {len(report.kept.measurements)}), re-import {t3 - t2:.2f} s ({again.status})")  # fmt: skip
    kb.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 579)
