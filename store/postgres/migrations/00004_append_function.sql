-- accord_append writes one batch of events planned by a writer that knows
-- the log up to its head (expected_head, expected_token): the events, at
-- positions expected_head+1 .. new_head, and the new head with the batch's
-- own token. It raises AC001 (and so writes nothing) when the head is not
-- (expected_head, expected_token) once it holds the head's row lock:
-- another writer appended since the plan; and AC002 when a stream whose
-- version the writer assumed (assumed_streams, assumed_versions) is at
-- another. The token, which every write of
-- the head changes, tells apart two logs whose heads are at the same
-- position by chance (a batch planned on top of another batch that failed,
-- where a third wrote the same number of events). See the package comment
-- of store/postgres for the protocol.
--
-- The inserts come first and the head's row lock last, so that a writer
-- can send the next batch while the previous one commits: the next
-- batch's inserts run meanwhile, and it then waits for the previous one
-- (the advisory lock that a batch holds on the head it produces), takes
-- the row lock and finds the head where it planned. Nothing it inserted is
-- visible before it commits, and it commits after the previous batch, so
-- positions still become visible in order, with no gaps.

-- +goose Up
ALTER TABLE log_head ADD COLUMN token bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN log_head.token IS 'changed by every write of the head: (position, token) names one state of the log';

-- +goose StatementBegin
-- (The arrays come first, the largest first: lib/pq builds the message in
-- a buffer that grows as the parameters are added.)
CREATE FUNCTION accord_append(datas text[], envelopes bytea[], ids text[], streams text[], types text[],
    positions bigint[], versions bigint[], occurred date[], reported date[],
    assumed_streams text[], assumed_versions bigint[],
    pipelined boolean, expected_head bigint, expected_token bigint,
    new_head bigint, new_token bigint, recorded timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    head bigint;
    token bigint;
BEGIN
    -- A pipelined batch produces new_head (two-key advisory locks: their
    -- own key space). A batch written under the head's row lock, which it
    -- took before planning, needs no order.
    IF pipelined THEN
        PERFORM pg_advisory_xact_lock(1633903460, (new_head % 2147483647)::integer);
    END IF;
    -- The versions the writer assumed for streams it did not know (the
    -- versions their first appends expected): each must be the stream's.
    IF EXISTS (SELECT 1 FROM unnest(assumed_streams, assumed_versions) AS a(stream, version)
               WHERE coalesce((SELECT max(e.version) FROM events e WHERE e.stream = a.stream), 0) <> a.version) THEN
        RAISE EXCEPTION 'accord: a stream is not at the version planned' USING ERRCODE = 'AC002';
    END IF;
    INSERT INTO events (position, id, stream, version, type, occurred_at, reported_at, recorded_at, envelope, data)
    SELECT u.position, u.id, u.stream, u.version, u.type, u.occurred_at, u.reported_at, recorded, u.envelope, u.data
    FROM unnest(positions, ids, streams, versions, types, occurred, reported, envelopes, datas)
        AS u(position, id, stream, version, type, occurred_at, reported_at, envelope, data);
    -- Wait for the batch that produces expected_head, if it is still running.
    -- Then the head's row lock is free, unless another process is writing:
    -- give up soon rather than wait for it (its write makes this batch fail
    -- anyway, and it may be waiting for the rows this batch inserted).
    IF pipelined THEN
        PERFORM pg_advisory_xact_lock_shared(1633903460, (expected_head % 2147483647)::integer);
        PERFORM set_config('lock_timeout', '20ms', true);
    END IF;
    SELECT h.position, h.token INTO head, token FROM log_head h WHERE h.id = 1 FOR UPDATE;
    IF head IS DISTINCT FROM expected_head OR token IS DISTINCT FROM expected_token THEN
        RAISE EXCEPTION 'accord: the log head is at % (token %), not at % (token %) as planned',
            head, token, expected_head, expected_token USING ERRCODE = 'AC001', DETAIL = token::text;
    END IF;
    UPDATE log_head SET position = new_head, token = new_token, recorded_at = recorded WHERE id = 1;
END
$$;
-- +goose StatementEnd

COMMENT ON FUNCTION accord_append IS 'accord: writes one planned batch of events; raises AC001 when the log head moved';

-- +goose Down
DROP FUNCTION accord_append;
ALTER TABLE log_head DROP COLUMN token;
