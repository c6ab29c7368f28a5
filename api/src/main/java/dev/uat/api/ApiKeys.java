package dev.uat.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * API keys: {@code uat_sk_} plus 43 random base62 characters (256 bits), shown once. Only their
 * SHA-256 is stored: a key is high-entropy, so a fast hash loses nothing to a slow one and keeps
 * lookups cheap.
 */
final class ApiKeys {
  static final String PREFIX = "uat_sk_";
  static final int MAX_KEYS_PER_USER = 50;
  private static final char[] BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  record ApiKey(
      String id,
      String userId,
      String name,
      String prefix,
      Set<String> scopes,
      Instant createdAt,
      Instant lastUsedAt,
      Instant revokedAt) {}

  /** A key just made: the only time its secret is known. */
  record Created(ApiKey key, String secret) {
    @Override
    public String toString() {
      return "Created{" + key.id() + "}";
    }
  }

  private static final String COLUMNS =
      "id, user_id, name, prefix, scopes, created_at, last_used_at, revoked_at";

  private final Database db;

  ApiKeys(Database db) {
    this.db = db;
  }

  static String newSecret() {
    StringBuilder b = new StringBuilder(PREFIX);
    for (int i = 0; i < 43; i++) {
      b.append(BASE62[RANDOM.nextInt(BASE62.length)]);
    }
    return b.toString();
  }

  static String hash(String secret) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static boolean looksLikeKey(String credential) {
    return credential != null && credential.startsWith(PREFIX) && credential.length() < 100;
  }

  Created create(String userId, String name, Set<String> scopes) throws SQLException {
    String secret = newSecret();
    ApiKey key =
        new ApiKey(
            Store.newId(),
            userId,
            name,
            secret.substring(0, PREFIX.length() + 4),
            scopes,
            Jdbc.now(),
            null,
            null);
    try (Connection c = db.connection()) {
      Jdbc.update(
          c,
          "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, created_at)"
              + " VALUES (?, ?, ?, ?, ?, ?, ?)",
          key.id(),
          userId,
          name,
          key.prefix(),
          hash(secret),
          String.join(" ", scopes),
          key.createdAt());
    }
    return new Created(key, secret);
  }

  int countActive(String userId) throws SQLException {
    try (Connection c = db.connection()) {
      return Jdbc.one(
              c,
              "SELECT COUNT(*) FROM api_keys WHERE user_id = ? AND revoked_at IS NULL",
              r -> r.getInt(1),
              userId)
          .orElse(0);
    }
  }

  List<ApiKey> list(String userId) throws SQLException {
    try (Connection c = db.connection()) {
      return Jdbc.list(
          c,
          "SELECT " + COLUMNS + " FROM api_keys WHERE user_id = ? ORDER BY created_at DESC",
          ApiKeys::row,
          1000,
          userId);
    }
  }

  /** The active key with this secret. */
  Optional<ApiKey> bySecret(String secret) throws SQLException {
    try (Connection c = db.connection()) {
      return Jdbc.one(
          c,
          "SELECT " + COLUMNS + " FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
          ApiKeys::row,
          hash(secret));
    }
  }

  boolean revoke(String id, String userId) throws SQLException {
    try (Connection c = db.connection()) {
      return Jdbc.update(
              c,
              "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
              Jdbc.now(),
              id,
              userId)
          == 1;
    }
  }

  void touch(String id, Instant when) throws SQLException {
    try (Connection c = db.connection()) {
      Jdbc.update(c, "UPDATE api_keys SET last_used_at = ? WHERE id = ?", when, id);
    }
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
        Jdbc.instant(r, "revoked_at"));
  }
}
