package dev.uat.api;

/** The api suite on the embedded default, an H2 file database in the data directory. */
class ApiH2Test extends AbstractApiTest {
  @Override
  ApiSettings database(ApiSettings settings) {
    return settings;
  }
}
