"""Generate merged_header.xlsx (committed): a caption row, merged 'Capacity' over 1st/100th."""

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent


def main() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Table S2"
    ws.append(["Table S2. Cycling data of SiOx/C anodes"])
    ws.append(["Sample", "Capacity (mA h g−1)", None, "ICE (%)", "Current density (mA g−1)"])
    ws.append([None, "1st", "100th", None, None])
    ws.append(["SiOx/C-1", 1650.5, 1402, 76.2, 100])
    ws.append(["SiOx/C-2", 1580, "1390 ± 20", 78.9, 100])
    ws.merge_cells("B2:C2")
    ws.merge_cells("A2:A3")
    ws.merge_cells("D2:D3")
    ws.merge_cells("E2:E3")
    other = wb.create_sheet("notes")
    other.append(["nothing here"])
    wb.save(HERE / "merged_header.xlsx")


if __name__ == "__main__":
    main()
