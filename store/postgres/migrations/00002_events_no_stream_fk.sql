-- Appends write an event's stream row and the event in the same statement
-- (see the package comment), so the foreign key from events to streams
-- guards nothing the store does not already guarantee, and checking it
-- cost about 40% of the append statement's execution (a trigger and an
-- index probe with a row lock per event). Drop it.

-- +goose Up
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_stream_fkey;

-- +goose Down
ALTER TABLE events ADD CONSTRAINT events_stream_fkey FOREIGN KEY (stream) REFERENCES streams (stream);
