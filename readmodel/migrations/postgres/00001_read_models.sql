-- Read models of accord (PostgreSQL): ordinary tables that analysts can
-- query with psql or a BI tool. They hold the latest state (everything the
-- log says, in valid-time order, after retractions and corrections); queries
-- as of a date or as known at a date go through accord itself.
-- Dates are DATE columns holding the first day of the period, with a
-- *_precision column ('day', 'month' or 'year') beside each.

-- +goose Up
CREATE TABLE IF NOT EXISTS projection_checkpoints (
    name       TEXT PRIMARY KEY,
    position   BIGINT NOT NULL CHECK (position >= 0),
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS rm_agreements (
    id                   TEXT PRIMARY KEY,
    parties              TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    title                TEXT NOT NULL,
    stage                TEXT NOT NULL,
    since                DATE,
    since_precision      TEXT,
    events               INTEGER NOT NULL,
    last_event_type      TEXT,
    last_event_at        DATE,
    expected_type        TEXT,
    expected_by          DATE,
    expected_said_by     TEXT
);

CREATE TABLE IF NOT EXISTS rm_agreement_transitions (
    agreement          TEXT NOT NULL,
    seq                INTEGER NOT NULL,
    stage              TEXT NOT NULL,
    occurred_at        DATE NOT NULL,
    occurred_precision TEXT NOT NULL,
    event_type         TEXT NOT NULL,
    event_id           TEXT NOT NULL,
    source_publication TEXT NOT NULL,
    source_title       TEXT,
    source_url         TEXT,
    confidence         TEXT NOT NULL,
    PRIMARY KEY (agreement, seq)
);

CREATE TABLE IF NOT EXISTS rm_agreement_approvals (
    agreement          TEXT NOT NULL,
    party              TEXT NOT NULL,
    body               TEXT,
    approved_at        DATE,
    approved_precision TEXT,
    pending            BOOLEAN NOT NULL,
    PRIMARY KEY (agreement, party)
);

CREATE TABLE IF NOT EXISTS rm_agreement_blockers (
    agreement      TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    country        TEXT NOT NULL,
    office         TEXT NOT NULL,
    new_holder     TEXT NOT NULL,
    occurred_at    DATE NOT NULL,
    stage          TEXT NOT NULL,
    event_id       TEXT NOT NULL,
    PRIMARY KEY (agreement, seq)
);

CREATE TABLE IF NOT EXISTS rm_leaders (
    country          TEXT NOT NULL,
    office           TEXT NOT NULL,
    holder           TEXT NOT NULL,
    since            DATE,
    since_precision  TEXT,
    PRIMARY KEY (country, office)
);

CREATE TABLE IF NOT EXISTS rm_tenures (
    country         TEXT NOT NULL,
    office          TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    holder          TEXT NOT NULL,
    from_date       DATE,
    from_precision  TEXT,
    to_date         DATE,
    to_precision    TEXT,
    PRIMARY KEY (country, office, seq)
);

CREATE TABLE IF NOT EXISTS rm_network_nodes (
    country     TEXT PRIMARY KEY,
    degree      INTEGER NOT NULL,
    betweenness DOUBLE PRECISION NOT NULL,
    agreements  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS rm_network_edges (
    a         TEXT NOT NULL,
    b         TEXT NOT NULL,
    agreement TEXT NOT NULL,
    stage     TEXT NOT NULL,
    PRIMARY KEY (a, b, agreement)
);

CREATE TABLE IF NOT EXISTS rm_timeline (
    stream             TEXT NOT NULL,
    seq                INTEGER NOT NULL,
    event_id           TEXT NOT NULL,
    occurred_at        DATE NOT NULL,
    occurred_precision TEXT NOT NULL,
    reported_at        DATE NOT NULL,
    reported_precision TEXT NOT NULL,
    type               TEXT NOT NULL,
    summary            TEXT NOT NULL,
    source_publication TEXT NOT NULL,
    source_title       TEXT,
    source_url         TEXT,
    confidence         TEXT NOT NULL,
    PRIMARY KEY (stream, seq)
);

-- +goose Down
DROP TABLE rm_timeline;
DROP TABLE rm_network_edges;
DROP TABLE rm_network_nodes;
DROP TABLE rm_tenures;
DROP TABLE rm_leaders;
DROP TABLE rm_agreement_blockers;
DROP TABLE rm_agreement_approvals;
DROP TABLE rm_agreement_transitions;
DROP TABLE rm_agreements;
DROP TABLE projection_checkpoints;
