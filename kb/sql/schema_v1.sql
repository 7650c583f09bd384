-- anodelab knowledge base, schema version 1.
-- Every fact row carries import_id (the ledger entry that wrote it): any value can be traced to
-- the file it came from, and any import can be undone or replaced as a whole.
CREATE TABLE IF NOT EXISTS schema_meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE IF NOT EXISTS vocabulary (
    kind TEXT NOT NULL,            -- property | condition | parameter | step_quantity
    name TEXT NOT NULL,
    unit TEXT,                     -- canonical unit (pint string); NULL for text/categorical
    unit_label TEXT,               -- the unit as researchers write it (mA h g⁻¹)
    value_kind TEXT,               -- number | text | categorical
    min REAL,
    max REAL,
    description TEXT,
    synonyms TEXT,
    allowed_values TEXT,
    PRIMARY KEY (kind, name)
);
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY,
    dataset TEXT NOT NULL,         -- what is replaced on re-import: "<source>:<file name>"
    source_key TEXT,
    file_path TEXT,
    file_sha256 TEXT,              -- hash of the bytes of the file
    content_sha256 TEXT,           -- hash of the parsed content (idempotency)
    importer TEXT,
    importer_version TEXT,
    started_at TEXT,
    finished_at TEXT,
    status TEXT NOT NULL,          -- ok | replaced | undone
    n_rows INTEGER,
    replaces_import_id INTEGER REFERENCES imports(id),
    summary_json TEXT
);
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,            -- paper | lab_notebook | lab_run | dataset
    doi TEXT,
    title TEXT,
    year INTEGER,
    authors TEXT,
    journal TEXT,
    license TEXT,
    import_id INTEGER REFERENCES imports(id)
);
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    label TEXT NOT NULL,           -- verbatim, never parsed as a formula
    kind TEXT NOT NULL,            -- material | electrode | blend | group
    family TEXT,
    description TEXT,
    locator TEXT,
    import_id INTEGER REFERENCES imports(id),
    UNIQUE (source_id, label)
);
CREATE TABLE IF NOT EXISTS sample_parents (
    sample_id INTEGER NOT NULL REFERENCES samples(id),
    parent_id INTEGER NOT NULL REFERENCES samples(id),
    position INTEGER NOT NULL,
    import_id INTEGER REFERENCES imports(id),
    PRIMARY KEY (sample_id, parent_id)
);
CREATE TABLE IF NOT EXISTS group_members (
    group_id INTEGER NOT NULL REFERENCES samples(id),
    member_id INTEGER NOT NULL REFERENCES samples(id),
    import_id INTEGER REFERENCES imports(id),
    PRIMARY KEY (group_id, member_id)
);
CREATE TABLE IF NOT EXISTS process_steps (
    id INTEGER PRIMARY KEY,
    sample_id INTEGER NOT NULL REFERENCES samples(id),
    step_order INTEGER NOT NULL,
    step_type TEXT NOT NULL,
    import_id INTEGER REFERENCES imports(id),
    UNIQUE (sample_id, step_order)
);
CREATE TABLE IF NOT EXISTS step_parameters (
    id INTEGER PRIMARY KEY,
    step_id INTEGER NOT NULL REFERENCES process_steps(id),
    quantity TEXT NOT NULL,
    substance TEXT,
    value REAL,                    -- canonical unit of the quantity
    unit TEXT,
    text_value TEXT,
    value_min REAL,
    value_max REAL,
    qualifier TEXT,
    basis TEXT,                    -- for fractions: mass_of_total | mass_of_si | ...
    raw_value TEXT,
    raw_unit TEXT,
    raw TEXT,
    locator TEXT,
    file TEXT,
    row INTEGER,
    col TEXT,
    import_id INTEGER REFERENCES imports(id)
);
CREATE TABLE IF NOT EXISTS cells (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    label TEXT NOT NULL,
    sample_id INTEGER NOT NULL REFERENCES samples(id),
    cell_type TEXT NOT NULL,       -- half | full
    format TEXT,
    counter_electrode TEXT,
    cathode TEXT,
    cathode_formula TEXT,          -- parsed with pymatgen after the alias table
    electrolyte TEXT,
    separator TEXT,
    binder TEXT,
    electrode_composition TEXT,
    active_mass_loading_mg_per_cm2 REAL,
    cathode_loading_mg_per_cm2 REAL,
    np_ratio REAL,
    voltage_min_V REAL,
    voltage_max_V REAL,
    one_c_mA_per_g REAL,           -- the 1C definition per active mass; NULL when not stated (never guessed)
    one_c_mA_per_cm2 REAL,         -- the 1C definition per electrode area, when stated that way
    one_c_raw TEXT,
    blend_ratio TEXT,
    temperature_C REAL,
    note TEXT,
    locator TEXT,
    import_id INTEGER REFERENCES imports(id),
    UNIQUE (source_id, label)
);
CREATE TABLE IF NOT EXISTS measurements (
    id INTEGER PRIMARY KEY,
    sample_id INTEGER NOT NULL REFERENCES samples(id),
    cell_id INTEGER REFERENCES cells(id),
    source_id INTEGER NOT NULL REFERENCES sources(id),
    property TEXT NOT NULL,
    value REAL,                    -- canonical unit of the property
    unit TEXT,
    value_min REAL,
    value_max REAL,
    uncertainty REAL,
    uncertainty_kind TEXT,         -- sd | se | range | unspecified
    qualifier TEXT NOT NULL DEFAULT '=',
    basis TEXT,
    origin TEXT NOT NULL,          -- stated | computed | analyzer | recorded
    raw_value TEXT,
    raw_unit TEXT,
    raw TEXT,
    note TEXT,
    flags TEXT,
    locator TEXT,
    file TEXT,
    row INTEGER,
    col TEXT,
    raw_file_sha256 TEXT,
    analyzer TEXT,
    analyzer_version TEXT,
    options_json TEXT,
    import_id INTEGER REFERENCES imports(id)
);
CREATE TABLE IF NOT EXISTS measurement_conditions (
    measurement_id INTEGER NOT NULL REFERENCES measurements(id),
    name TEXT NOT NULL,
    value REAL,
    unit TEXT,
    text_value TEXT,
    raw TEXT,
    PRIMARY KEY (measurement_id, name)
);
CREATE TABLE IF NOT EXISTS checks (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL,            -- ice_from_capacities | fade_from_retention | ...
    sample_id INTEGER REFERENCES samples(id),
    measurement_id INTEGER REFERENCES measurements(id),
    input_ids TEXT,                -- JSON list of measurement ids used
    stated REAL,
    recomputed REAL,
    unit TEXT,
    tolerance REAL,
    status TEXT NOT NULL,          -- ok | mismatch | computed
    note TEXT
);
CREATE INDEX IF NOT EXISTS idx_measurements_property ON measurements(property);
CREATE INDEX IF NOT EXISTS idx_measurements_sample ON measurements(sample_id);
CREATE INDEX IF NOT EXISTS idx_measurements_import ON measurements(import_id);
CREATE INDEX IF NOT EXISTS idx_step_parameters_step ON step_parameters(step_id);
CREATE INDEX IF NOT EXISTS idx_step_parameters_import ON step_parameters(import_id);
CREATE INDEX IF NOT EXISTS idx_process_steps_sample ON process_steps(sample_id);
CREATE INDEX IF NOT EXISTS idx_imports_dataset ON imports(dataset);
