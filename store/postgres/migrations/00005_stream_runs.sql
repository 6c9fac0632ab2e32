-- Stream runs: one index entry per append instead of one per event.
--
-- Until this migration, a unique index on events (stream, version) served
-- stream reads, a stream's version and the assumed-version check. Streams
-- are written in random order, so every event's entry went to a random
-- leaf of that index: the largest single cost of an append (a pgbench
-- model of the table on the development machine: 21-24k rows/s with it,
-- 30-31k without; see docs/performance.md).
--
-- An append's events get consecutive versions of one stream at
-- consecutive positions. stream_runs records that once per run: the
-- stream, its first and last version, and the position of the first
-- version. Version v of a run is at first_position + (v - first_version).
-- A run may cover several appends (two appends of one stream that follow
-- each other in a batch, or runs built from an existing log below): all
-- that matters is that its versions are at consecutive positions.
--
-- The guard that the unique (stream, version) index gave (two writes of
-- one version can never both commit) becomes the primary key on (stream,
-- first_version): two writes planned from the same version of a stream
-- still cannot both commit. Runs that overlap without starting at the same
-- version are excluded by the protocol (every write holds the head's lock
-- and was planned from the head it checks), not by an index.

-- +goose Up
CREATE TABLE stream_runs (
    stream         text   COLLATE "C" NOT NULL,
    first_version  bigint NOT NULL CHECK (first_version > 0),
    last_version   bigint NOT NULL,
    first_position bigint NOT NULL CHECK (first_position > 0),
    CONSTRAINT stream_runs_pkey PRIMARY KEY (stream, first_version),
    CONSTRAINT stream_runs_order CHECK (last_version >= first_version)
);
COMMENT ON TABLE stream_runs IS 'accord: runs of a stream''s versions at consecutive positions; version v of a run is at first_position + (v - first_version)';

-- The runs of the existing log: a stream's versions and positions both
-- increase, so position - version is the same exactly within a run of
-- consecutive positions.
INSERT INTO stream_runs (stream, first_version, last_version, first_position)
SELECT stream, min(version), max(version), min(position)
FROM events GROUP BY stream, position - version;

ALTER TABLE events DROP CONSTRAINT events_stream_version_key;

-- +goose StatementBegin
-- accord_append as in migration 4, with the stream runs: the assumed
-- versions are read from them, and the batch's runs are written in the
-- same statement as its events (one statement: each costs the time of a
-- few dozen inserts to start).
CREATE OR REPLACE FUNCTION accord_append(datas text[], envelopes bytea[], ids text[], streams text[], types text[],
    positions bigint[], versions bigint[], occurred date[], reported date[],
    assumed_streams text[], assumed_versions bigint[],
    expected_head bigint, expected_token bigint, new_head bigint, new_token bigint, recorded timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    head bigint;
    token bigint;
BEGIN
    UPDATE log_head SET position = new_head, token = new_token, recorded_at = recorded
        WHERE id = 1 AND position = expected_head AND log_head.token = expected_token;
    IF NOT FOUND THEN
        SELECT h.position, h.token INTO head, token FROM log_head h WHERE h.id = 1;
        RAISE EXCEPTION 'accord: the log head is at % (token %), not at % (token %) as planned',
            head, token, expected_head, expected_token USING ERRCODE = 'AC001', DETAIL = token::text;
    END IF;
    IF cardinality(assumed_streams) > 0 THEN
        IF EXISTS (SELECT 1 FROM unnest(assumed_streams, assumed_versions) AS a(stream, version)
                   WHERE coalesce((SELECT r.last_version FROM stream_runs r WHERE r.stream = a.stream
                                   ORDER BY r.first_version DESC LIMIT 1), 0) <> a.version) THEN
            RAISE EXCEPTION 'accord: a stream is not at the version planned' USING ERRCODE = 'AC002';
        END IF;
    END IF;
    WITH runs AS (
        INSERT INTO stream_runs (stream, first_version, last_version, first_position)
        SELECT r.stream, min(r.version), max(r.version), min(r.position)
        FROM unnest(streams, versions, positions) AS r(stream, version, position)
        GROUP BY r.stream, r.position - r.version
    )
    INSERT INTO events (position, id, stream, version, type, occurred_at, reported_at, recorded_at, envelope, data)
    SELECT u.position, u.id, u.stream, u.version, u.type, u.occurred_at, u.reported_at, recorded, u.envelope, u.data
    FROM unnest(positions, ids, streams, versions, types, occurred, reported, envelopes, datas)
        AS u(position, id, stream, version, type, occurred_at, reported_at, envelope, data);
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION accord_append(datas text[], envelopes bytea[], ids text[], streams text[], types text[],
    positions bigint[], versions bigint[], occurred date[], reported date[],
    assumed_streams text[], assumed_versions bigint[],
    expected_head bigint, expected_token bigint, new_head bigint, new_token bigint, recorded timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    head bigint;
    token bigint;
BEGIN
    UPDATE log_head SET position = new_head, token = new_token, recorded_at = recorded
        WHERE id = 1 AND position = expected_head AND log_head.token = expected_token;
    IF NOT FOUND THEN
        SELECT h.position, h.token INTO head, token FROM log_head h WHERE h.id = 1;
        RAISE EXCEPTION 'accord: the log head is at % (token %), not at % (token %) as planned',
            head, token, expected_head, expected_token USING ERRCODE = 'AC001', DETAIL = token::text;
    END IF;
    IF cardinality(assumed_streams) > 0 THEN
        IF EXISTS (SELECT 1 FROM unnest(assumed_streams, assumed_versions) AS a(stream, version)
                   WHERE coalesce((SELECT max(e.version) FROM events e WHERE e.stream = a.stream), 0) <> a.version) THEN
            RAISE EXCEPTION 'accord: a stream is not at the version planned' USING ERRCODE = 'AC002';
        END IF;
    END IF;
    INSERT INTO events (position, id, stream, version, type, occurred_at, reported_at, recorded_at, envelope, data)
    SELECT u.position, u.id, u.stream, u.version, u.type, u.occurred_at, u.reported_at, recorded, u.envelope, u.data
    FROM unnest(positions, ids, streams, versions, types, occurred, reported, envelopes, datas)
        AS u(position, id, stream, version, type, occurred_at, reported_at, envelope, data);
END
$$;
-- +goose StatementEnd
ALTER TABLE events ADD CONSTRAINT events_stream_version_key UNIQUE (stream, version);
DROP TABLE stream_runs;
