-- accord_append writes one batch of events planned by a writer that knows
-- the log up to its head (expected_head, expected_token): the events, at
-- positions expected_head+1 .. new_head, and the new head with the batch's
-- own token. It raises AC001 (and so writes nothing) when the head is not
-- (expected_head, expected_token) once it holds the head's row lock:
-- another writer appended since the plan; and AC002 when a stream whose
-- version the writer assumed (assumed_streams, assumed_versions) is at
-- another. The token, which every write of the head changes, names the
-- state the writer planned on exactly: a writer's head position alone
-- would do as long as every plan starts from a committed state, and the
-- token keeps the check exact whatever a writer does (and tells a writer
-- whose write failed whether the head it found is another process's). See
-- the package comment of store/postgres for the protocol.
--
-- It takes the head's row lock before anything else: every write of the
-- log takes that lock, so positions become visible in order, with no
-- gaps; and a writer that waits for it holds nothing another writer could
-- be waiting for.

-- +goose Up
ALTER TABLE log_head ADD COLUMN token bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN log_head.token IS 'changed by every write of the head: (position, token) names one state of the log';

-- +goose StatementBegin
-- (The arrays come first, the largest first: lib/pq builds the message in
-- a buffer that grows as the parameters are added.)
CREATE FUNCTION accord_append(datas text[], envelopes bytea[], ids text[], streams text[], types text[],
    positions bigint[], versions bigint[], occurred date[], reported date[],
    assumed_streams text[], assumed_versions bigint[],
    expected_head bigint, expected_token bigint, new_head bigint, new_token bigint, recorded timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    head bigint;
    token bigint;
BEGIN
    -- The head first: the update takes its row lock (waiting for a writer
    -- that holds it, then reading the row as that writer's commit left
    -- it, as READ COMMITTED re-checks a locked row) and moves it only if
    -- it is where the plan started. The statements below take new
    -- snapshots. One statement, not a locking read and an update: each
    -- statement costs the time of a few dozen inserts to start.
    UPDATE log_head SET position = new_head, token = new_token, recorded_at = recorded
        WHERE id = 1 AND position = expected_head AND log_head.token = expected_token;
    IF NOT FOUND THEN
        SELECT h.position, h.token INTO head, token FROM log_head h WHERE h.id = 1;
        RAISE EXCEPTION 'accord: the log head is at % (token %), not at % (token %) as planned',
            head, token, expected_head, expected_token USING ERRCODE = 'AC001', DETAIL = token::text;
    END IF;
    -- The versions the writer assumed for streams it did not know (the
    -- versions their first appends expected): each must be the stream's.
    -- (Only when there are some: even on no rows, starting the statement
    -- costs a good part of a batch's time.)
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

COMMENT ON FUNCTION accord_append IS 'accord: writes one planned batch of events; raises AC001 when the log head moved';

-- +goose Down
DROP FUNCTION accord_append;
ALTER TABLE log_head DROP COLUMN token;
