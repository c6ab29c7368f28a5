package dev.uat.api;

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

/** Small helpers over plain JDBC: bind parameters, map rows. */
final class Jdbc {
  private Jdbc() {}

  @FunctionalInterface
  interface Row<T> {
    T map(ResultSet r) throws SQLException;
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
