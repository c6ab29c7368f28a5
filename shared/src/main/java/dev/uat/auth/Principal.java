package dev.uat.auth;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Set;

/**
 * Who a verified access token speaks for.
 *
 * @param userId the account id ({@code sub})
 * @param scopes what the token may do, e.g. {@code chat}, {@code admin}
 * @param tokenId the token's {@code jti}
 * @param expiresAt when the token stops being valid
 */
public record Principal(String userId, Set<String> scopes, String tokenId, Instant expiresAt) {
  public Principal {
    requireNonNull(userId, "userId");
    scopes = Set.copyOf(scopes);
    requireNonNull(tokenId, "tokenId");
    requireNonNull(expiresAt, "expiresAt");
  }

  public boolean has(String scope) {
    return scopes.contains(scope);
  }
}
