"""`anodelab serve`: Datasette over the KB with browsable relations."""

from __future__ import annotations

import asyncio
import json

from anodelab.datasette_config import metadata


def test_datasette_shows_relations_and_canned_queries(shipped_kb) -> None:
    from datasette.app import Datasette

    path = shipped_kb.path
    ds = Datasette([str(path)], immutables=[], metadata=metadata(path.stem))

    async def fetch(url: str) -> dict:
        response = await ds.client.get(url)
        assert response.status_code == 200, (url, response.text[:500])
        return response.json()

    async def run() -> tuple[dict, dict]:
        rel = await fetch(
            f"/{path.stem}/v_relations.json?property=initial_coulombic_efficiency&_shape=objects"
        )
        canned = await fetch(
            f"/{path.stem}/relate_dopamine_wt_pct.json?property=initial_coulombic_efficiency&cycle=&current_density_mA_per_g=&_shape=objects"
        )
        return rel, canned

    rel, canned = asyncio.run(run())
    assert rel["rows"] and {"sample", "value", "pitch_wt_pct", "dopamine_wt_pct"} <= set(
        rel["rows"][0]
    )
    samples = {r["sample"]: r for r in canned["rows"]}
    assert samples["mSi@NHC-700-10"]["x"] == 10 and samples["mSi@NHC-700-10"]["y"] == 88.99
    assert json.dumps(canned)  # serialisable, as scripts receive it
