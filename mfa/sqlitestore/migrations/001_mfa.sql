-- The second factors of package mfa. Times are whole microseconds since
-- the Unix epoch, the zero time (never) as -62135596800000000.

-- One row per account with a TOTP enrolment, active or pending. The
-- secret is sealed before it reaches the store.
CREATE TABLE mfa_totp (
	account      TEXT PRIMARY KEY,
	id           TEXT NOT NULL,
	sealed       BLOB,
	digits       INTEGER NOT NULL,
	active       BOOLEAN NOT NULL,
	created      INTEGER NOT NULL,
	last_used    INTEGER NOT NULL,
	last_step    INTEGER NOT NULL,
	failures     INTEGER NOT NULL,
	last_attempt INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per account with a set of recovery codes: the keyed hash of
-- each unused code in lowercase hex, each followed by a semicolon, after
-- a leading one (";a1b2;c3d4;"), and how many they are.
CREATE TABLE mfa_recovery (
	account   TEXT PRIMARY KEY,
	hashes    TEXT NOT NULL,
	remaining INTEGER NOT NULL,
	created   INTEGER NOT NULL,
	last_used INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per WebAuthn credential, its id unique across accounts;
-- transports are a JSON array of strings.
CREATE TABLE mfa_webauthn_credentials (
	id               BLOB PRIMARY KEY,
	account          TEXT NOT NULL,
	name             TEXT NOT NULL,
	public_key       BLOB,
	attestation_type TEXT NOT NULL,
	aaguid           BLOB,
	transports       TEXT NOT NULL,
	sign_count       INTEGER NOT NULL,
	backup_eligible  BOOLEAN NOT NULL,
	backup_state     BOOLEAN NOT NULL,
	created          INTEGER NOT NULL,
	last_used        INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX mfa_webauthn_credentials_account
	ON mfa_webauthn_credentials (account, created);

-- One row per WebAuthn ceremony in progress.
CREATE TABLE mfa_webauthn_challenges (
	id      TEXT PRIMARY KEY,
	account TEXT NOT NULL,
	kind    TEXT NOT NULL,
	data    BLOB,
	expiry  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX mfa_webauthn_challenges_account
	ON mfa_webauthn_challenges (account, expiry);
