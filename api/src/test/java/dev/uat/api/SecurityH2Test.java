package dev.uat.api;

/** Revocation, scopes, key expiry, the first administrator and paging on H2. */
class SecurityH2Test extends AbstractSecurityTest {
  @Override
  ApiSettings database(ApiSettings settings) {
    return settings;
  }
}
