-- Issue 9. Runs unchanged on H2 and PostgreSQL.

-- API keys may expire; keys with the admin scope always do (30 days by default, 90 at most).
ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMP WITH TIME ZONE;
-- admin keys made before expiry existed get the default lifetime from now
UPDATE api_keys SET expires_at = CURRENT_TIMESTAMP + INTERVAL '30' DAY
  WHERE revoked_at IS NULL AND (scopes = 'admin' OR scopes LIKE 'admin %' OR scopes LIKE '% admin');

-- "The first account becomes the administrator", decided by the database: at most one row can
-- hold the claim (a unique index ignores NULLs on both databases), so two simultaneous first
-- registrations cannot both become administrators.
ALTER TABLE users ADD COLUMN first_admin_claim SMALLINT;
CREATE UNIQUE INDEX users_first_admin_claim ON users (first_admin_claim);
UPDATE users SET first_admin_claim = 1
  WHERE id = (SELECT id FROM users WHERE is_admin = TRUE ORDER BY created_at, id LIMIT 1);
