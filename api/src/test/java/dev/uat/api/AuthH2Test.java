package dev.uat.api;

/** The accounts, sessions, keys and audit suite on the embedded default, H2. */
class AuthH2Test extends AbstractAuthTest {
  @Override
  ApiSettings database(ApiSettings settings) {
    return settings;
  }
}
