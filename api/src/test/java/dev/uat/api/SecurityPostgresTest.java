package dev.uat.api;

/** Revocation, scopes, key expiry, the first administrator and paging on PostgreSQL. */
class SecurityPostgresTest extends AbstractSecurityTest {
  @Override
  ApiSettings database(ApiSettings settings) {
    return TestPostgres.freshDatabase(settings);
  }
}
