package dev.uat.auth;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Who a verified credential speaks for.
 *
 * @param userId the account id ({@code sub}); the tenant that caches and limits are kept per
 * @param scopes what the credential may do, e.g. {@code chat}, {@code admin}
 * @param tokenId the token's {@code jti}, or the API key's id
 * @param expiresAt when the credential stops being valid ({@link Instant#MAX}: never)
 * @param sessionId the login session an access token belongs to ({@code sid}), or null
 * @param kind an access token or an API key
 */
public record Principal(
    String userId,
    Set<String> scopes,
    String tokenId,
    Instant expiresAt,
    String sessionId,
    Kind kind) {

  /** What kind of credential a principal was proven by. */
  public enum Kind {
    ACCESS_TOKEN,
    API_KEY
  }

  public Principal {
    requireNonNull(userId, "userId");
    scopes = Set.copyOf(scopes);
    requireNonNull(tokenId, "tokenId");
    requireNonNull(expiresAt, "expiresAt");
    requireNonNull(kind, "kind");
  }

  /** An access token's principal, of login session {@code sessionId} (may be null). */
  public Principal(
      String userId, Set<String> scopes, String tokenId, Instant expiresAt, String sessionId) {
    this(userId, scopes, tokenId, expiresAt, sessionId, Kind.ACCESS_TOKEN);
  }

  /** An access token's principal outside any login session. */
  public Principal(String userId, Set<String> scopes, String tokenId, Instant expiresAt) {
    this(userId, scopes, tokenId, expiresAt, null, Kind.ACCESS_TOKEN);
  }

  /** The principal of API key {@code keyId}; {@code expiresAt} is {@link Instant#MAX} if never. */
  public static Principal apiKey(
      String keyId, String userId, Set<String> scopes, Instant expiresAt) {
    return new Principal(userId, scopes, keyId, expiresAt, null, Kind.API_KEY);
  }

  public boolean has(String scope) {
    return scopes.contains(scope);
  }

  public boolean isApiKey() {
    return kind == Kind.API_KEY;
  }

  /** The login session, when the credential is an access token issued for one. */
  public Optional<String> session() {
    return Optional.ofNullable(sessionId);
  }
}
