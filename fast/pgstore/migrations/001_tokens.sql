-- One row per client of a user: its Current token (cur_) and its New
-- token (new_). A slot is empty when its id is NULL. Times are whole
-- microseconds since the Unix epoch, as in the SQLite store, so that both
-- run the same statements; factors are a JSON array of strings.
CREATE TABLE fast_tokens (
	username      text NOT NULL,
	client_id     text NOT NULL,

	cur_id        text,
	cur_sealed    bytea,
	cur_mechanism text,
	cur_issued    bigint,
	cur_expiry    bigint,
	cur_count     bigint,
	cur_factors   text,

	new_id        text,
	new_sealed    bytea,
	new_mechanism text,
	new_issued    bigint,
	new_expiry    bigint,
	new_count     bigint,
	new_factors   text,

	PRIMARY KEY (username, client_id)
);
