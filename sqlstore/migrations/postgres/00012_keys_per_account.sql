-- An API key string is unique within its account, not across accounts:
-- with global uniqueness, creating a key string another tenant holds
-- answered 409 and a fresh one 201, which let any tenant find out, and
-- take first, the key names of others. A key is now found by its digest
-- within the caller's account(s); key_hash stays SHA-256 of the key (the
-- sealed copies are bound to it), so every stored key verifies as before
-- and no key needs the sealing secret to move. Building the index is one
-- set-based pass; no row is rewritten.

-- +goose Up
CREATE UNIQUE INDEX api_keys_by_key ON api_keys (key_hash, account_id);
ALTER TABLE api_keys DROP CONSTRAINT api_keys_key_hash_key;

-- +goose Down
-- Fails while one key string exists in two accounts.
ALTER TABLE api_keys ADD CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash);
DROP INDEX api_keys_by_key;
