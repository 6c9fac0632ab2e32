-- The event log of accord. One row per event in `events`; `streams` holds
-- each stream's current version (for cheap expected-version checks);
-- `log_head` is the one-row counter that allocates global positions.
--
-- Partial dates ("2022-05", "2022") are stored as the first day of their
-- period plus a precision column ('day', 'month' or 'year'), so that
-- `occurred_at <= DATE '2022-06-30'` means "had happened by then" for every
-- precision.

-- +goose Up
CREATE TABLE log_head (
    id          integer     PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    -- the highest position allocated (and, once committed, visible)
    position    bigint      NOT NULL CHECK (position >= 0),
    -- the recorded_at of the last append: recorded_at never decreases
    recorded_at timestamptz
);
INSERT INTO log_head (id, position) VALUES (1, 0);

CREATE TABLE streams (
    stream  text   PRIMARY KEY,
    version bigint NOT NULL CHECK (version > 0)
);

CREATE TABLE events (
    position              bigint      PRIMARY KEY CHECK (position > 0),
    id                    text        NOT NULL UNIQUE,
    stream                text        NOT NULL REFERENCES streams (stream),
    version               bigint      NOT NULL CHECK (version > 0),
    type                  text        NOT NULL,
    schema_version        integer     NOT NULL,
    data                  jsonb       NOT NULL,
    occurred_at           date        NOT NULL,
    occurred_precision    text        NOT NULL CHECK (occurred_precision IN ('day', 'month', 'year')),
    reported_at           date        NOT NULL,
    reported_precision    text        NOT NULL CHECK (reported_precision IN ('day', 'month', 'year')),
    recorded_at           timestamptz NOT NULL,
    source_publication    text        NOT NULL,
    source_title          text,
    source_url            text,
    source_date           date,
    source_date_precision text        CHECK (source_date_precision IN ('day', 'month', 'year')),
    confidence            text        NOT NULL CHECK (confidence IN ('confirmed', 'reported', 'rumoured')),
    analyst               text,
    correlation_id        text,
    causation_id          text,
    UNIQUE (stream, version)
);

CREATE INDEX events_type_idx ON events (type);
CREATE INDEX events_occurred_at_idx ON events (occurred_at);

COMMENT ON TABLE events IS 'accord event log: one row per event, append-only; position is the gap-free global commit order';
COMMENT ON COLUMN events.occurred_at IS 'valid time: first day of the period; see occurred_precision';
COMMENT ON COLUMN events.reported_at IS 'when it became public: first day of the period; see reported_precision';
COMMENT ON COLUMN events.recorded_at IS 'transaction time: when this log stored the event';
COMMENT ON TABLE streams IS 'current version of every stream';
COMMENT ON TABLE log_head IS 'one row: the last allocated position; appends lock it to serialize position allocation';

-- +goose Down
DROP TABLE events;
DROP TABLE streams;
DROP TABLE log_head;
