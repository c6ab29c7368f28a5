package dev.uat.api;

/** The accounts, sessions, keys and audit suite on a real PostgreSQL server. */
class AuthPostgresTest extends AbstractAuthTest {
  @Override
  ApiSettings database(ApiSettings settings) {
    return TestPostgres.freshDatabase(settings);
  }
}
