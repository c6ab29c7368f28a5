package dev.uat.api;

import dev.uat.auth.CredentialBackend;
import dev.uat.auth.CredentialsUnavailableException;
import dev.uat.auth.Principal;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The api's answers to {@link dev.uat.auth.Credentials}, from its own database: whether an API key
 * is live (and when it was last used), whether a login session is active. Called on cache misses
 * only (at most every {@link dev.uat.auth.Credentials#RECHECK} per credential). Thread-safe; a
 * database failure is {@link CredentialsUnavailableException} (503), never a refusal.
 */
final class LocalCredentialBackend implements CredentialBackend {
  /** A key's {@code last_used_at} is written at most this often. */
  static final Duration TOUCH_EVERY = Duration.ofMinutes(1);

  private final Sessions sessions;
  private final ApiKeys keys;

  LocalCredentialBackend(Sessions sessions, ApiKeys keys) {
    this.sessions = sessions;
    this.keys = keys;
  }

  @Override
  public Optional<Principal> apiKey(String secret) throws CredentialsUnavailableException {
    try {
      Instant now = Jdbc.now();
      Optional<ApiKeys.ApiKey> found = keys.live(secret, now);
      if (found.isEmpty()) {
        return Optional.empty();
      }
      ApiKeys.ApiKey key = found.get();
      if (key.lastUsedAt() == null || key.lastUsedAt().isBefore(now.minus(TOUCH_EVERY))) {
        keys.touch(key.id(), now);
      }
      return Optional.of(
          Principal.apiKey(
              key.id(),
              key.userId(),
              key.scopes(),
              key.expiresAt() == null ? Instant.MAX : key.expiresAt()));
    } catch (SQLException e) {
      throw new CredentialsUnavailableException("the database cannot be read", e);
    }
  }

  @Override
  public boolean sessionActive(Principal principal, String accessToken)
      throws CredentialsUnavailableException {
    try {
      return sessions
          .find(principal.sessionId())
          .filter(s -> s.userId().equals(principal.userId()))
          .map(s -> s.active(Jdbc.now()))
          .orElse(false);
    } catch (SQLException e) {
      throw new CredentialsUnavailableException("the database cannot be read", e);
    }
  }

  @Override
  public String toString() {
    return "LocalCredentialBackend";
  }
}
