package dev.uat.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.uat.auth.ApiKeyFormat;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * API keys in the database, in the platform's {@link ApiKeyFormat}: shown once, only their SHA-256
 * stored. A key may expire ({@code expires_at}; keys with the {@code admin} scope always do).
 * Blocking JDBC; thread-safe.
 */
final class ApiKeys {
  static final int MAX_KEYS_PER_USER = 50;

  /** A key without its secret; its JSON is what {@code GET /api/keys} lists (no user id). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ApiKey(
      String id,
      @JsonIgnore String userId,
      String name,
      String prefix,
      Set<String> scopes,
      Instant createdAt,
      Instant lastUsedAt,
      Instant revokedAt,
      Instant expiresAt) {}

  /** A key just made: the only time its secret is known. */
  record Created(ApiKey key, String secret) {
    @Override
    public String toString() {
      return "Created{" + key.id() + "}";
    }
  }

  private static final String COLUMNS =
      "id, user_id, name, prefix, scopes, created_at, last_used_at, revoked_at, expires_at";

  /** A key not revoked and not expired; parameter: now. */
  private static final String LIVE =
      "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)";

  /** Revokes the user's keys not revoked yet; parameters: now, user id. */
  private static final String REVOKE =
      "UPDATE api_keys SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL";

  private final Jdbc jdbc;

  ApiKeys(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  /** Creates a key; {@code expiresAt} null for one that never expires. */
  Created create(String userId, String name, Set<String> scopes, Instant expiresAt)
      throws SQLException {
    String secret = ApiKeyFormat.newSecret();
    ApiKey key =
        new ApiKey(
            Store.newId(),
            userId,
            name,
            secret.substring(0, ApiKeyFormat.PREFIX.length() + 4),
            scopes,
            Jdbc.now(),
            null,
            null,
            expiresAt);
    jdbc.update(
        "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, created_at,"
            + " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        key.id(),
        userId,
        name,
        key.prefix(),
        ApiKeyFormat.hash(secret),
        String.join(" ", scopes),
        key.createdAt(),
        expiresAt);
    return new Created(key, secret);
  }

  int countActive(String userId) throws SQLException {
    return jdbc.one(
            "SELECT COUNT(*) FROM api_keys WHERE user_id = ? AND " + LIVE,
            r -> r.getInt(1),
            userId,
            Jdbc.now())
        .orElse(0);
  }

  List<ApiKey> list(String userId) throws SQLException {
    return jdbc.list(
        "SELECT " + COLUMNS + " FROM api_keys WHERE user_id = ? ORDER BY created_at DESC",
        ApiKeys::row,
        1000,
        userId);
  }

  /** The key with this secret if it is live at {@code now}: not revoked, not expired. */
  Optional<ApiKey> live(String secret, Instant now) throws SQLException {
    return jdbc.one(
        "SELECT " + COLUMNS + " FROM api_keys WHERE key_hash = ? AND " + LIVE,
        ApiKeys::row,
        ApiKeyFormat.hash(secret),
        now);
  }

  /** Revokes the user's key {@code id}; false when it is not theirs or was revoked already. */
  boolean revoke(String id, String userId) throws SQLException {
    return jdbc.update(REVOKE + " AND id = ?", Jdbc.now(), userId, id) == 1;
  }

  /** Revokes every key of the user; returns how many were not revoked yet. */
  int revokeAll(String userId) throws SQLException {
    return jdbc.update(REVOKE, Jdbc.now(), userId);
  }

  void touch(String id, Instant when) throws SQLException {
    jdbc.update("UPDATE api_keys SET last_used_at = ? WHERE id = ?", when, id);
  }

  private static ApiKey row(ResultSet r) throws SQLException {
    return new ApiKey(
        r.getString("id"),
        r.getString("user_id"),
        r.getString("name"),
        r.getString("prefix"),
        new LinkedHashSet<>(Arrays.asList(r.getString("scopes").split(" "))),
        Jdbc.instant(r, "created_at"),
        Jdbc.instant(r, "last_used_at"),
        Jdbc.instant(r, "revoked_at"),
        Jdbc.instant(r, "expires_at"));
  }
}
