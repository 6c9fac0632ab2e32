-- The event log of accord (SQLite). Same tables and columns as the
-- PostgreSQL store: `events` (one row per event), `streams` (each stream's
-- current version) and `log_head` (the last allocated position).
--
-- Dates are ISO text: days as 'YYYY-MM-DD' (a partial date is stored as the
-- first day of its period plus a precision column: 'day', 'month' or
-- 'year'), recorded_at as 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (UTC, fixed width,
-- so text order is time order). data is JSON text.
--
-- The statements are idempotent (IF NOT EXISTS) because SQLite has no
-- migration lock: two processes opening a new file at once may both run them.

-- +goose Up
CREATE TABLE IF NOT EXISTS log_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    position    INTEGER NOT NULL CHECK (position >= 0),
    recorded_at TEXT
) STRICT;
INSERT OR IGNORE INTO log_head (id, position) VALUES (1, 0);

CREATE TABLE IF NOT EXISTS streams (
    stream  TEXT    PRIMARY KEY,
    version INTEGER NOT NULL CHECK (version > 0)
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS events (
    position              INTEGER PRIMARY KEY CHECK (position > 0),
    id                    TEXT    NOT NULL UNIQUE,
    stream                TEXT    NOT NULL REFERENCES streams (stream),
    version               INTEGER NOT NULL CHECK (version > 0),
    type                  TEXT    NOT NULL,
    schema_version        INTEGER NOT NULL,
    data                  TEXT    NOT NULL CHECK (json_valid(data)),
    occurred_at           TEXT    NOT NULL,
    occurred_precision    TEXT    NOT NULL CHECK (occurred_precision IN ('day', 'month', 'year')),
    reported_at           TEXT    NOT NULL,
    reported_precision    TEXT    NOT NULL CHECK (reported_precision IN ('day', 'month', 'year')),
    recorded_at           TEXT    NOT NULL,
    source_publication    TEXT    NOT NULL,
    source_title          TEXT,
    source_url            TEXT,
    source_date           TEXT,
    source_date_precision TEXT    CHECK (source_date_precision IN ('day', 'month', 'year')),
    confidence            TEXT    NOT NULL CHECK (confidence IN ('confirmed', 'reported', 'rumoured')),
    analyst               TEXT,
    correlation_id        TEXT,
    causation_id          TEXT,
    UNIQUE (stream, version)
) STRICT;

CREATE INDEX IF NOT EXISTS events_type_idx ON events (type);
CREATE INDEX IF NOT EXISTS events_occurred_at_idx ON events (occurred_at);

-- +goose Down
DROP TABLE events;
DROP TABLE streams;
DROP TABLE log_head;
