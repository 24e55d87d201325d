-- The second factors of package mfa. Times are whole microseconds since
-- the Unix epoch, as in the SQLite store, so that both run the same
-- statements; the zero time (never) is -62135596800000000.

-- One row per account with a TOTP enrolment, active or pending. The
-- secret is sealed before it reaches the store.
CREATE TABLE mfa_totp (
	account      text PRIMARY KEY,
	id           text NOT NULL,
	sealed       bytea,
	digits       integer NOT NULL,
	active       boolean NOT NULL,
	created      bigint NOT NULL,
	last_used    bigint NOT NULL,
	last_step    bigint NOT NULL,
	failures     integer NOT NULL,
	last_attempt bigint NOT NULL
);

-- One row per account with a set of recovery codes: the keyed hash of
-- each unused code in lowercase hex, each followed by a semicolon, after
-- a leading one (';a1b2;c3d4;'), and how many they are.
CREATE TABLE mfa_recovery (
	account   text PRIMARY KEY,
	hashes    text NOT NULL,
	remaining integer NOT NULL,
	created   bigint NOT NULL,
	last_used bigint NOT NULL
);

-- One row per WebAuthn credential, its id unique across accounts;
-- transports are a JSON array of strings.
CREATE TABLE mfa_webauthn_credentials (
	id               bytea PRIMARY KEY,
	account          text NOT NULL,
	name             text NOT NULL,
	public_key       bytea,
	attestation_type text NOT NULL,
	aaguid           bytea,
	transports       text NOT NULL,
	sign_count       bigint NOT NULL,
	backup_eligible  boolean NOT NULL,
	backup_state     boolean NOT NULL,
	created          bigint NOT NULL,
	last_used        bigint NOT NULL
);

CREATE INDEX mfa_webauthn_credentials_account
	ON mfa_webauthn_credentials (account, created);

-- One row per WebAuthn ceremony in progress.
CREATE TABLE mfa_webauthn_challenges (
	id      text PRIMARY KEY,
	account text NOT NULL,
	kind    text NOT NULL,
	data    bytea,
	expiry  bigint NOT NULL
);

CREATE INDEX mfa_webauthn_challenges_account
	ON mfa_webauthn_challenges (account, expiry);
