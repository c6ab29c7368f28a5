package dev.uat.api;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Users, conversations and messages, in SQL that runs on H2 and PostgreSQL alike. Every method that
 * takes a user id only ever sees that user's rows: a conversation of another user is simply not
 * found.
 *
 * <p>Blocking JDBC; safe to call from many (virtual) threads.
 */
final class Store {
  record User(
      String id,
      String email,
      String passwordHash,
      Instant createdAt,
      String displayName,
      boolean admin) {
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

  private static final String USER_COLUMNS =
      "id, email, password_hash, created_at, display_name, is_admin";
  private static final String CONVERSATION_COLUMNS = "id, user_id, title, created_at, updated_at";
  private static final String MESSAGE_COLUMNS =
      "id, conversation_id, role, content, model, input_tokens, output_tokens, trace_id, created_at";

  private final Database db;

  Store(Database db) {
    this.db = db;
  }

  static String newId() {
    return UUID.randomUUID().toString();
  }

  /**
   * Creates a user; empty when the email is taken. The first account of an installation becomes its
   * administrator.
   */
  Optional<User> createUser(String email, String passwordHash, String displayName)
      throws SQLException {
    String id = newId();
    try (Connection c = db.connection()) {
      Jdbc.update(
          c,
          "INSERT INTO users (id, email, password_hash, created_at, display_name)"
              + " VALUES (?, ?, ?, ?, ?)",
          id,
          email,
          passwordHash,
          Jdbc.now(),
          displayName);
      Jdbc.update(
          c,
          "UPDATE users SET is_admin = TRUE WHERE id = ?"
              + " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.is_admin = TRUE)",
          id);
    } catch (SQLException e) {
      if ("23505".equals(e.getSQLState())) { // unique violation, on H2 and PostgreSQL
        return Optional.empty();
      }
      throw e;
    }
    return userById(id);
  }

  Optional<User> userByEmail(String email) throws SQLException {
    return user("SELECT " + USER_COLUMNS + " FROM users WHERE email = ?", email);
  }

  Optional<User> userById(String id) throws SQLException {
    return user("SELECT " + USER_COLUMNS + " FROM users WHERE id = ?", id);
  }

  private Optional<User> user(String sql, String arg) throws SQLException {
    try (Connection c = db.connection()) {
      return Jdbc.one(
          c,
          sql,
          r ->
              new User(
                  r.getString(1),
                  r.getString(2),
                  r.getString(3),
                  Jdbc.instant(r, "created_at"),
                  r.getString(5),
                  r.getBoolean(6)),
          arg);
    }
  }

  void setDisplayName(String userId, String displayName) throws SQLException {
    try (Connection c = db.connection()) {
      Jdbc.update(c, "UPDATE users SET display_name = ? WHERE id = ?", displayName, userId);
    }
  }

  void setPasswordHash(String userId, String hash) throws SQLException {
    try (Connection c = db.connection()) {
      Jdbc.update(
          c,
          "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
          hash,
          Jdbc.now(),
          userId);
    }
  }

  Conversation createConversation(Connection c, String userId, String title) throws SQLException {
    Instant now = Jdbc.now();
    Conversation conv = new Conversation(newId(), userId, title, now, now);
    Jdbc.update(
        c,
        "INSERT INTO conversations (" + CONVERSATION_COLUMNS + ") VALUES (?, ?, ?, ?, ?)",
        conv.id(),
        userId,
        title,
        now,
        now);
    return conv;
  }

  Optional<Conversation> conversation(String id, String userId) throws SQLException {
    try (Connection c = db.connection()) {
      return conversation(c, id, userId);
    }
  }

  Optional<Conversation> conversation(Connection c, String id, String userId) throws SQLException {
    return Jdbc.one(
        c,
        "SELECT " + CONVERSATION_COLUMNS + " FROM conversations WHERE id = ? AND user_id = ?",
        Store::conversation,
        id,
        userId);
  }

  /**
   * The user's conversations, most recently active first; after {@code (afterUpdated, afterId)}
   * (the last one of the previous page) when given.
   */
  List<Conversation> conversations(String userId, int limit, Instant afterUpdated, String afterId)
      throws SQLException {
    try (Connection c = db.connection()) {
      if (afterUpdated == null) {
        return Jdbc.list(
            c,
            "SELECT "
                + CONVERSATION_COLUMNS
                + " FROM conversations WHERE user_id = ?"
                + " ORDER BY updated_at DESC, id DESC",
            Store::conversation,
            limit,
            userId);
      }
      return Jdbc.list(
          c,
          "SELECT "
              + CONVERSATION_COLUMNS
              + " FROM conversations"
              + " WHERE user_id = ? AND (updated_at < ? OR (updated_at = ? AND id < ?))"
              + " ORDER BY updated_at DESC, id DESC",
          Store::conversation,
          limit,
          userId,
          afterUpdated,
          afterUpdated,
          afterId);
    }
  }

  boolean renameConversation(String id, String userId, String title) throws SQLException {
    try (Connection c = db.connection()) {
      return Jdbc.update(
              c,
              "UPDATE conversations SET title = ? WHERE id = ? AND user_id = ?",
              title,
              id,
              userId)
          == 1;
    }
  }

  boolean deleteConversation(String id, String userId) throws SQLException {
    try (Connection c = db.connection()) {
      return Jdbc.update(c, "DELETE FROM conversations WHERE id = ? AND user_id = ?", id, userId)
          == 1;
    }
  }

  /** Adds a message (new id) inside the caller's transaction. */
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
            Jdbc.now());
    insert(c, m);
    return m;
  }

  /** Adds a message with a given id, in its own transaction. */
  Message addMessage(
      String id,
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
            id,
            conversationId,
            role,
            content,
            model,
            inputTokens,
            outputTokens,
            traceId,
            Jdbc.now());
    try (Connection c = transaction()) {
      try {
        insert(c, m);
        c.commit();
        return m;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private static void insert(Connection c, Message m) throws SQLException {
    Jdbc.update(
        c,
        "INSERT INTO messages (" + MESSAGE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        m.id(),
        m.conversationId(),
        m.role(),
        m.content(),
        m.model(),
        m.inputTokens(),
        m.outputTokens(),
        m.traceId(),
        m.createdAt());
    Jdbc.update(
        c,
        "UPDATE conversations SET updated_at = ? WHERE id = ?",
        m.createdAt(),
        m.conversationId());
  }

  /** The last {@code limit} messages of a conversation, oldest first. */
  List<Message> messages(String conversationId, int limit) throws SQLException {
    try (Connection c = db.connection()) {
      return Jdbc.list(
              c,
              "SELECT "
                  + MESSAGE_COLUMNS
                  + " FROM messages WHERE conversation_id = ?"
                  + " ORDER BY seq DESC",
              Store::message,
              limit,
              conversationId)
          .reversed();
    }
  }

  Connection transaction() throws SQLException {
    Connection c = db.connection();
    c.setAutoCommit(false);
    return c;
  }

  private static Conversation conversation(ResultSet r) throws SQLException {
    return new Conversation(
        r.getString("id"),
        r.getString("user_id"),
        r.getString("title"),
        Jdbc.instant(r, "created_at"),
        Jdbc.instant(r, "updated_at"));
  }

  private static Message message(ResultSet r) throws SQLException {
    return new Message(
        r.getString("id"),
        r.getString("conversation_id"),
        r.getString("role"),
        r.getString("content"),
        r.getString("model"),
        integer(r, "input_tokens"),
        integer(r, "output_tokens"),
        r.getString("trace_id"),
        Jdbc.instant(r, "created_at"));
  }

  private static Integer integer(ResultSet r, String column) throws SQLException {
    int v = r.getInt(column);
    return r.wasNull() ? null : v;
  }
}
