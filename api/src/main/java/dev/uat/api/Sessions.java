package dev.uat.api;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Login sessions, each the family of one chain of refresh tokens. Only the family's current token
 * id may be exchanged; {@link #rotate} swaps it atomically, so two uses of one refresh token can
 * never both succeed.
 */
final class Sessions {
  record Session(
      String id,
      String userId,
      String currentJti,
      String ip,
      String userAgent,
      Instant createdAt,
      Instant lastUsedAt,
      Instant expiresAt,
      Instant revokedAt,
      String revokedReason) {
    boolean active(Instant now) {
      return revokedAt == null && expiresAt.isAfter(now);
    }
  }

  private static final String COLUMNS =
      "id, user_id, current_jti, ip, user_agent, created_at, last_used_at, expires_at, revoked_at,"
          + " revoked_reason";

  /** Ends the user's active sessions; parameters: now, reason, user id. */
  private static final String REVOKE =
      "UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ?"
          + " AND revoked_at IS NULL";

  private final Jdbc jdbc;

  Sessions(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  Session create(String userId, String ip, String userAgent, Instant expiresAt)
      throws SQLException {
    Instant now = Jdbc.now();
    Session s =
        new Session(
            Store.newId(), userId, Store.newId(), ip, userAgent, now, now, expiresAt, null, null);
    jdbc.update(
        "INSERT INTO sessions (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        s.id(),
        userId,
        s.currentJti(),
        ip,
        userAgent,
        now,
        now,
        expiresAt,
        null,
        null);
    return s;
  }

  Optional<Session> find(String id) throws SQLException {
    return jdbc.one("SELECT " + COLUMNS + " FROM sessions WHERE id = ?", Sessions::row, id);
  }

  /** Replaces the current token id if it is still {@code expected}; false when it was not. */
  boolean rotate(String id, String expected, String next, Instant expiresAt) throws SQLException {
    String sql =
        "UPDATE sessions SET current_jti = ?, last_used_at = ?, expires_at = ?"
            + " WHERE id = ? AND current_jti = ? AND revoked_at IS NULL";
    return jdbc.update(sql, next, Jdbc.now(), expiresAt, id, expected) == 1;
  }

  /** Ends the user's session {@code id}; false when it is not theirs or has ended already. */
  boolean revoke(String id, String userId, String reason) throws SQLException {
    return jdbc.update(REVOKE + " AND id = ?", Jdbc.now(), reason, userId, id) == 1;
  }

  /** Ends every active session of the user; returns how many. */
  int revokeAll(String userId, String reason) throws SQLException {
    return jdbc.update(REVOKE, Jdbc.now(), reason, userId);
  }

  /** The user's sessions that can still be used, newest first. */
  List<Session> active(String userId) throws SQLException {
    return jdbc.list(
        "SELECT "
            + COLUMNS
            + " FROM sessions WHERE user_id = ? AND revoked_at IS NULL"
            + " AND expires_at > ? ORDER BY created_at DESC",
        Sessions::row,
        1000,
        userId,
        Jdbc.now());
  }

  private static Session row(ResultSet r) throws SQLException {
    return new Session(
        r.getString("id"),
        r.getString("user_id"),
        r.getString("current_jti"),
        r.getString("ip"),
        r.getString("user_agent"),
        Jdbc.instant(r, "created_at"),
        Jdbc.instant(r, "last_used_at"),
        Jdbc.instant(r, "expires_at"),
        Jdbc.instant(r, "revoked_at"),
        r.getString("revoked_reason"));
  }
}
