package dev.uat.api;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Users, conversations and messages in SQL that runs on H2 and PostgreSQL alike. Every method that
 * takes a user id only ever sees that user's rows: a conversation of another user is simply not
 * found.
 *
 * <p>Blocking JDBC; safe to call from many (virtual) threads.
 */
final class Store {
  record User(String id, String email, String passwordHash, Instant createdAt) {
    @Override
    public String toString() {
      return "User{" + id + "}"; // no email or hash in logs
    }
  }

  record Conversation(
      String id, String userId, String title, Instant createdAt, Instant updatedAt) {}

  record Message(
      String id,
      String conversationId,
      String role,
      String content,
      String model,
      Integer inputTokens,
      Integer outputTokens,
      String traceId,
      Instant createdAt) {}

  private final Database db;

  Store(Database db) {
    this.db = db;
  }

  static String newId() {
    return UUID.randomUUID().toString();
  }

  /** Creates a user; empty when the email is taken. */
  Optional<User> createUser(String email, String passwordHash) throws SQLException {
    User user = new User(newId(), email, passwordHash, now());
    try (Connection c = db.connection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)")) {
      s.setString(1, user.id());
      s.setString(2, user.email());
      s.setString(3, user.passwordHash());
      s.setTimestamp(4, Timestamp.from(user.createdAt()));
      s.executeUpdate();
      return Optional.of(user);
    } catch (SQLException e) {
      if (isUniqueViolation(e)) {
        return Optional.empty();
      }
      throw e;
    }
  }

  Optional<User> userByEmail(String email) throws SQLException {
    return user("SELECT id, email, password_hash, created_at FROM users WHERE email = ?", email);
  }

  Optional<User> userById(String id) throws SQLException {
    return user("SELECT id, email, password_hash, created_at FROM users WHERE id = ?", id);
  }

  private Optional<User> user(String sql, String arg) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, arg);
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new User(
                r.getString(1), r.getString(2), r.getString(3), r.getTimestamp(4).toInstant()));
      }
    }
  }

  Conversation createConversation(Connection c, String userId, String title) throws SQLException {
    Instant now = now();
    Conversation conv = new Conversation(newId(), userId, title, now, now);
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")) {
      s.setString(1, conv.id());
      s.setString(2, userId);
      s.setString(3, title);
      s.setTimestamp(4, Timestamp.from(now));
      s.setTimestamp(5, Timestamp.from(now));
      s.executeUpdate();
    }
    return conv;
  }

  Optional<Conversation> conversation(String id, String userId) throws SQLException {
    try (Connection c = db.connection()) {
      return conversation(c, id, userId);
    }
  }

  Optional<Conversation> conversation(Connection c, String id, String userId) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT id, user_id, title, created_at, updated_at FROM conversations WHERE id = ? AND user_id = ?")) {
      s.setString(1, id);
      s.setString(2, userId);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? Optional.of(conversation(r)) : Optional.empty();
      }
    }
  }

  /** The user's conversations, most recently active first. */
  List<Conversation> conversations(String userId, int limit) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT id, user_id, title, created_at, updated_at FROM conversations"
                    + " WHERE user_id = ? ORDER BY updated_at DESC, id DESC")) {
      s.setString(1, userId);
      s.setMaxRows(limit);
      List<Conversation> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(conversation(r));
        }
      }
      return out;
    }
  }

  boolean deleteConversation(String id, String userId) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement s =
            c.prepareStatement("DELETE FROM conversations WHERE id = ? AND user_id = ?")) {
      s.setString(1, id);
      s.setString(2, userId);
      return s.executeUpdate() == 1;
    }
  }

  Message addMessage(
      Connection c,
      String conversationId,
      String role,
      String content,
      String model,
      Integer inputTokens,
      Integer outputTokens,
      String traceId)
      throws SQLException {
    Message m =
        new Message(
            newId(),
            conversationId,
            role,
            content,
            model,
            inputTokens,
            outputTokens,
            traceId,
            now());
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO messages (id, conversation_id, role, content, model, input_tokens,"
                + " output_tokens, trace_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, m.id());
      s.setString(2, conversationId);
      s.setString(3, role);
      s.setString(4, content);
      s.setString(5, model);
      setInteger(s, 6, inputTokens);
      setInteger(s, 7, outputTokens);
      s.setString(8, traceId);
      s.setTimestamp(9, Timestamp.from(m.createdAt()));
      s.executeUpdate();
    }
    try (PreparedStatement s =
        c.prepareStatement("UPDATE conversations SET updated_at = ? WHERE id = ?")) {
      s.setTimestamp(1, Timestamp.from(m.createdAt()));
      s.setString(2, conversationId);
      s.executeUpdate();
    }
    return m;
  }

  /** Adds a message in its own transaction. */
  Message addMessage(
      String conversationId,
      String role,
      String content,
      String model,
      Integer inputTokens,
      Integer outputTokens,
      String traceId)
      throws SQLException {
    try (Connection c = db.connection()) {
      c.setAutoCommit(false);
      try {
        Message m =
            addMessage(c, conversationId, role, content, model, inputTokens, outputTokens, traceId);
        c.commit();
        return m;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /** The last {@code limit} messages of a conversation, oldest first. */
  List<Message> messages(String conversationId, int limit) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT id, conversation_id, role, content, model, input_tokens, output_tokens,"
                    + " trace_id, created_at FROM messages WHERE conversation_id = ?"
                    + " ORDER BY seq DESC")) {
      s.setString(1, conversationId);
      s.setMaxRows(limit);
      List<Message> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(
              new Message(
                  r.getString(1),
                  r.getString(2),
                  r.getString(3),
                  r.getString(4),
                  r.getString(5),
                  integer(r, 6),
                  integer(r, 7),
                  r.getString(8),
                  r.getTimestamp(9).toInstant()));
        }
      }
      return out.reversed();
    }
  }

  Connection transaction() throws SQLException {
    Connection c = db.connection();
    c.setAutoCommit(false);
    return c;
  }

  private static Conversation conversation(ResultSet r) throws SQLException {
    return new Conversation(
        r.getString(1),
        r.getString(2),
        r.getString(3),
        r.getTimestamp(4).toInstant(),
        r.getTimestamp(5).toInstant());
  }

  private static Integer integer(ResultSet r, int column) throws SQLException {
    int v = r.getInt(column);
    return r.wasNull() ? null : v;
  }

  private static void setInteger(PreparedStatement s, int i, Integer v) throws SQLException {
    if (v == null) {
      s.setNull(i, java.sql.Types.INTEGER);
    } else {
      s.setInt(i, v);
    }
  }

  /** SQLSTATE 23505 (unique violation) on both H2 and PostgreSQL. */
  private static boolean isUniqueViolation(SQLException e) {
    return "23505".equals(e.getSQLState());
  }

  /** Now, at microsecond precision: what both databases store. */
  private static Instant now() {
    return Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
  }
}
