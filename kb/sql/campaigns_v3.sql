-- anodelab knowledge base, schema version 3: campaign state.
-- A proposal's recipe is a sample of the graph (samples, process_steps, step_parameters; its
-- source is the campaign's `campaign:<name>` source) and its results are measurements of that
-- sample.  These tables keep only what is campaign state: the space and objectives, batches,
-- predictions, acquisition values, statuses and their history.
CREATE TABLE IF NOT EXISTS campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    space_json TEXT NOT NULL,
    objectives_json TEXT NOT NULL,
    seed INTEGER NOT NULL DEFAULT 0,
    settings_json TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS proposals (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    batch INTEGER NOT NULL,
    sample TEXT NOT NULL UNIQUE,       -- the sample's label: <campaign>-p<number>
    parameters_json TEXT NOT NULL,     -- the recipe as proposed (the sample's steps hold it too)
    predictions_json TEXT NOT NULL DEFAULT '{}',
    acquisition_value REAL,
    strategy TEXT NOT NULL,
    reasons_json TEXT NOT NULL DEFAULT '{}',
    model_version TEXT,
    data_version TEXT,
    seed INTEGER,
    status TEXT NOT NULL DEFAULT 'proposed'
        CHECK (status IN ('proposed', 'running', 'done', 'abandoned')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    number INTEGER,                    -- 1, 2, … within its campaign
    sample_id INTEGER REFERENCES samples(id)
);
CREATE TABLE IF NOT EXISTS proposal_events (
    id INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS candidate_tables (
    sha256 TEXT PRIMARY KEY,
    n_rows INTEGER NOT NULL,
    columns_json TEXT NOT NULL,
    format TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_proposals_campaign ON proposals(campaign_id);
CREATE INDEX IF NOT EXISTS idx_events_proposal ON proposal_events(proposal_id);
