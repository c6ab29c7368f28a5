package dev.uat.api;

import dev.uat.db.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Small helpers over plain JDBC: bind parameters, map rows. The static methods work on a connection
 * the caller holds (a transaction); an instance runs each statement on a connection of its own from
 * the {@link Database}'s pool, or a unit of work in one transaction ({@link #inTransaction}).
 * Thread-safe.
 */
final class Jdbc {
  private final Database db;

  Jdbc(Database db) {
    this.db = db;
  }

  @FunctionalInterface
  interface Row<T> {
    T map(ResultSet r) throws SQLException;
  }

  /** Statements that run in one transaction. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** A pooled connection in auto-commit mode; close it to return it. */
  Connection connection() throws SQLException {
    return db.connection();
  }

  /** {@link #update(Connection, String, Object...)} on a connection of its own. */
  int update(String sql, Object... params) throws SQLException {
    try (Connection c = db.connection()) {
      return update(c, sql, params);
    }
  }

  /** {@link #list(Connection, String, Row, int, Object...)} on a connection of its own. */
  <T> List<T> list(String sql, Row<T> row, int maxRows, Object... params) throws SQLException {
    try (Connection c = db.connection()) {
      return list(c, sql, row, maxRows, params);
    }
  }

  /** {@link #one(Connection, String, Row, Object...)} on a connection of its own. */
  <T> Optional<T> one(String sql, Row<T> row, Object... params) throws SQLException {
    try (Connection c = db.connection()) {
      return one(c, sql, row, params);
    }
  }

  /**
   * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws
   * (the exception goes on).
   */
  <T> T inTransaction(Work<T> work) throws SQLException {
    try (Connection c = db.connection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /** Now, at microsecond precision: what both databases store. */
  static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }

  static int update(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      bind(s, params);
      return s.executeUpdate();
    }
  }

  static <T> List<T> list(Connection c, String sql, Row<T> row, int maxRows, Object... params)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      bind(s, params);
      s.setMaxRows(maxRows);
      List<T> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(row.map(r));
        }
      }
      return out;
    }
  }

  static <T> Optional<T> one(Connection c, String sql, Row<T> row, Object... params)
      throws SQLException {
    List<T> found = list(c, sql, row, 1, params);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.getFirst());
  }

  static Instant instant(ResultSet r, String column) throws SQLException {
    Timestamp t = r.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }

  private static void bind(PreparedStatement s, Object... params) throws SQLException {
    for (int i = 0; i < params.length; i++) {
      Object p = params[i];
      switch (p) {
        case null -> s.setNull(i + 1, Types.NULL);
        case Instant t -> s.setTimestamp(i + 1, Timestamp.from(t));
        case Integer n -> s.setInt(i + 1, n);
        case Long n -> s.setLong(i + 1, n);
        case Boolean b -> s.setBoolean(i + 1, b);
        default -> s.setString(i + 1, p.toString());
      }
    }
  }
}
