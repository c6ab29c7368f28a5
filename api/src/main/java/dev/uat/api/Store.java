package dev.uat.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
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

  /** A stored message; its JSON is what the api shows of it. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Message(
      String id,
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
      "id, conversation_id, role, content, model, input_tokens, output_tokens, trace_id,"
          + " created_at";

  private final Jdbc jdbc;

  Store(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  static String newId() {
    return UUID.randomUUID().toString();
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * A new id for a conversation or a message: a version 7 UUID (RFC 9562), the milliseconds of its
   * making first, then 74 random bits. Ordered by time, a new row's key goes to the right-hand edge
   * of its primary key and of every index that holds the id, not into a random leaf: H2 writes the
   * B-tree pages a commit changed anew at every commit (docs/durability.md), and with random ids
   * the chat path answered a third fewer chats (1.49 times as many now, docs/benchmarks.md, issue
   * 12). The time it tells is the row's {@code created_at}, which the API shows anyway; ids that
   * must not be guessed or dated (sessions, refresh tokens, keys) keep {@link #newId()}.
   */
  static String newTimeOrderedId() {
    long millis = System.currentTimeMillis();
    long high = (millis << 16) | 0x7000L | (RANDOM.nextInt() & 0x0fffL);
    long low = 0x8000_0000_0000_0000L | (RANDOM.nextLong() & 0x3fff_ffff_ffff_ffffL);
    return new UUID(high, low).toString();
  }

  /**
   * Creates a user; empty when the email is taken. The first account of an installation becomes its
   * administrator, decided by the database in the same transaction: the unique {@code
   * first_admin_claim} lets one row only hold it, so of two simultaneous first registrations one
   * wins and the other commits as an ordinary account.
   */
  Optional<User> createUser(String email, String passwordHash, String displayName)
      throws SQLException {
    String id = newId();
    try {
      jdbc.inTransaction(
          c -> {
            Jdbc.update(
                c,
                "INSERT INTO users (id, email, password_hash, created_at, display_name)"
                    + " VALUES (?, ?, ?, ?, ?)",
                id,
                email,
                passwordHash,
                Jdbc.now(),
                displayName);
            claimFirstAdmin(c, id);
            return null;
          });
    } catch (SQLException e) {
      if (UNIQUE_VIOLATION.equals(e.getSQLState())) { // the email, on H2 and PostgreSQL
        return Optional.empty();
      }
      throw e;
    }
    return userById(id);
  }

  static final String UNIQUE_VIOLATION = "23505";

  /**
   * Makes {@code userId} the administrator if no account holds the claim. The NOT EXISTS spares the
   * usual case an error; the unique index settles a race: the loser's update fails (PostgreSQL
   * waits for the winner's commit first), is rolled back to the savepoint, and its account stays
   * ordinary.
   */
  private static void claimFirstAdmin(Connection c, String userId) throws SQLException {
    Savepoint before = c.setSavepoint();
    try {
      Jdbc.update(
          c,
          "UPDATE users SET is_admin = TRUE, first_admin_claim = 1 WHERE id = ?"
              + " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.first_admin_claim = 1)",
          userId);
    } catch (SQLException e) {
      if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
        throw e;
      }
      c.rollback(before);
    }
  }

  Optional<User> userByEmail(String email) throws SQLException {
    return user("SELECT " + USER_COLUMNS + " FROM users WHERE email = ?", email);
  }

  Optional<User> userById(String id) throws SQLException {
    return user("SELECT " + USER_COLUMNS + " FROM users WHERE id = ?", id);
  }

  private Optional<User> user(String sql, String arg) throws SQLException {
    return jdbc.one(
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

  void setDisplayName(String userId, String displayName) throws SQLException {
    jdbc.update("UPDATE users SET display_name = ? WHERE id = ?", displayName, userId);
  }

  void setPasswordHash(String userId, String hash) throws SQLException {
    jdbc.update(
        "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
        hash,
        Jdbc.now(),
        userId);
  }

  Conversation createConversation(Connection c, String userId, String title) throws SQLException {
    Instant now = Jdbc.now();
    Conversation conv = new Conversation(newTimeOrderedId(), userId, title, now, now);
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
    return jdbc.one(CONVERSATION, Store::conversation, id, userId);
  }

  Optional<Conversation> conversation(Connection c, String id, String userId) throws SQLException {
    return Jdbc.one(c, CONVERSATION, Store::conversation, id, userId);
  }

  private static final String CONVERSATION =
      "SELECT " + CONVERSATION_COLUMNS + " FROM conversations WHERE id = ? AND user_id = ?";

  // The newest rows first, read from the index in its order and only as many as asked for: the
  // ORDER BY names the index's columns from its first, the equality-bound one included, else H2
  // reads every row of the user or the conversation and sorts them (seen as 5,800 of 7,500 CPU
  // samples in a soak, the list and the history growing slower with every chat); the messages'
  // index is ascending and read backwards, the list's (V4) is in the list's own order. PostgreSQL
  // needs neither trick. QueryPlanTest counts the rows H2 reads.
  static final String CONVERSATIONS_FIRST =
      "SELECT "
          + CONVERSATION_COLUMNS
          + " FROM conversations WHERE user_id = ?"
          + " ORDER BY user_id DESC, updated_at DESC, id DESC";
  static final String CONVERSATIONS_AFTER =
      "SELECT "
          + CONVERSATION_COLUMNS
          + " FROM conversations"
          + " WHERE user_id = ? AND updated_at <= ? AND (updated_at < ? OR id < ?)"
          + " ORDER BY user_id DESC, updated_at DESC, id DESC";
  static final String MESSAGE_SIZES =
      "SELECT seq, CHAR_LENGTH(content) FROM messages WHERE conversation_id = ? AND seq < ?"
          + " ORDER BY conversation_id DESC, seq DESC";

  /**
   * The user's conversations, most recently active first; after {@code (afterUpdated, afterId)}
   * (the last one of the previous page) when given.
   */
  List<Conversation> conversations(String userId, int limit, Instant afterUpdated, String afterId)
      throws SQLException {
    if (afterUpdated == null) {
      return jdbc.list(CONVERSATIONS_FIRST, Store::conversation, limit, userId);
    }
    return jdbc.list(
        CONVERSATIONS_AFTER,
        Store::conversation,
        limit,
        userId,
        afterUpdated,
        afterUpdated,
        afterId);
  }

  boolean renameConversation(String id, String userId, String title) throws SQLException {
    return jdbc.update(
            "UPDATE conversations SET title = ? WHERE id = ? AND user_id = ?", title, id, userId)
        == 1;
  }

  boolean deleteConversation(String id, String userId) throws SQLException {
    return jdbc.update("DELETE FROM conversations WHERE id = ? AND user_id = ?", id, userId) == 1;
  }

  /**
   * Adds {@code m} to the conversation inside the caller's transaction, and moves the
   * conversation's {@code updated_at} to the message's time.
   */
  void addMessage(Connection c, String conversationId, Message m) throws SQLException {
    insertMessage(c, conversationId, m);
    Jdbc.update(
        c, "UPDATE conversations SET updated_at = ? WHERE id = ?", m.createdAt(), conversationId);
  }

  /**
   * Adds {@code m} to the conversation inside the caller's transaction, leaving the conversation's
   * {@code updated_at} as it is: for the first message of a conversation made in the same
   * transaction, whose {@code updated_at} is already its creation time.
   */
  void insertMessage(Connection c, String conversationId, Message m) throws SQLException {
    Jdbc.update(
        c,
        "INSERT INTO messages (" + MESSAGE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        m.id(),
        conversationId,
        m.role(),
        m.content(),
        m.model(),
        m.inputTokens(),
        m.outputTokens(),
        m.traceId(),
        m.createdAt());
  }

  /** Adds {@code m} to the conversation in a transaction of its own. */
  void addMessage(String conversationId, Message m) throws SQLException {
    jdbc.inTransaction(
        c -> {
          addMessage(c, conversationId, m);
          return null;
        });
  }

  /** Runs {@code work} in one transaction ({@link Jdbc#inTransaction}). */
  <T> T inTransaction(Jdbc.Work<T> work) throws SQLException {
    return jdbc.inTransaction(work);
  }

  /** A stored message's place and length, without its content. */
  record MessageSize(long seq, long chars) {}

  /** A stored message with its place, its full length, and its content (maybe cut). */
  record StoredMessage(long seq, long contentChars, Message message) {
    boolean cut() {
      return message.content().length() < contentChars;
    }
  }

  /**
   * The places and lengths of a conversation's messages before {@code beforeSeq} ({@link
   * Long#MAX_VALUE}: all), newest first, at most {@code maxRows}: what a page is planned on without
   * reading any content.
   */
  List<MessageSize> messageSizes(String conversationId, long beforeSeq, int maxRows)
      throws SQLException {
    try (Connection c = jdbc.connection()) {
      return messageSizes(c, conversationId, beforeSeq, maxRows);
    }
  }

  /** {@link #messageSizes(String, long, int)} inside the caller's transaction. */
  List<MessageSize> messageSizes(Connection c, String conversationId, long beforeSeq, int maxRows)
      throws SQLException {
    return Jdbc.list(
        c,
        MESSAGE_SIZES,
        r -> new MessageSize(r.getLong(1), r.getLong(2)),
        maxRows,
        conversationId,
        beforeSeq);
  }

  /**
   * The messages with {@code fromSeq <= seq <= toSeq}, oldest first, each content cut to {@code
   * maxChars} characters by the database (a cut one is never read whole).
   */
  List<StoredMessage> messageRange(
      String conversationId, long fromSeq, long toSeq, int maxRows, int maxChars)
      throws SQLException {
    try (Connection c = jdbc.connection()) {
      return messageRange(c, conversationId, fromSeq, toSeq, maxRows, maxChars);
    }
  }

  /** {@link #messageRange(String, long, long, int, int)} inside the caller's transaction. */
  List<StoredMessage> messageRange(
      Connection c, String conversationId, long fromSeq, long toSeq, int maxRows, int maxChars)
      throws SQLException {
    return Jdbc.list(
        c,
        "SELECT seq, CHAR_LENGTH(content) AS content_chars, id, role,"
            + " SUBSTRING(content, 1, ?) AS content, model, input_tokens, output_tokens,"
            + " trace_id, created_at FROM messages"
            + " WHERE conversation_id = ? AND seq >= ? AND seq <= ? ORDER BY seq",
        r -> new StoredMessage(r.getLong("seq"), r.getLong("content_chars"), message(r)),
        maxRows,
        maxChars,
        conversationId,
        fromSeq,
        toSeq);
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
