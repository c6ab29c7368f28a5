package dev.uat.api;

/** The chat and conversation suite on a real PostgreSQL server. */
class ApiPostgresTest extends AbstractApiTest {
  @Override
  ApiSettings database(ApiSettings settings) {
    return TestPostgres.freshDatabase(settings);
  }
}
