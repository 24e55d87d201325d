-- One row per client of a user: its Current token (cur_) and its New
-- token (new_). A slot is empty when its id is NULL. Times are whole
-- microseconds since the Unix epoch; factors are a JSON array of strings.
CREATE TABLE fast_tokens (
	username      TEXT NOT NULL,
	client_id     TEXT NOT NULL,

	cur_id        TEXT,
	cur_sealed    BLOB,
	cur_mechanism TEXT,
	cur_issued    INTEGER,
	cur_expiry    INTEGER,
	cur_count     INTEGER,
	cur_factors   TEXT,

	new_id        TEXT,
	new_sealed    BLOB,
	new_mechanism TEXT,
	new_issued    INTEGER,
	new_expiry    INTEGER,
	new_count     INTEGER,
	new_factors   TEXT,

	PRIMARY KEY (username, client_id)
) WITHOUT ROWID;
