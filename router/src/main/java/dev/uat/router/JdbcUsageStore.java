package dev.uat.router;

import dev.uat.db.Database;
import dev.uat.telemetry.Telemetry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Usage records in SQL (H2 file by default, PostgreSQL by URL): a small HikariCP pool with pool
 * metrics, migrated by Flyway at start ({@code db/router}, history in {@code flyway_router_history}
 * so that it may share a database with the api), statements traced.
 */
final class JdbcUsageStore implements UsageStore {
  private static final String INSERT =
      "INSERT INTO router_usage (created_at, operation, key_id, user_id, requested_model, model,"
          + " provider, input_tokens, output_tokens, tokens_estimated, latency_ms, cache_hit,"
          + " status, trace_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  private final Database database;

  JdbcUsageStore(String jdbcUrl, Telemetry telemetry) {
    this.database =
        Database.start(
            new Database.Settings(
                jdbcUrl,
                null,
                null,
                "uat-router",
                2,
                "classpath:db/router",
                "flyway_router_history"),
            telemetry);
  }

  @Override
  public void write(List<UsageRecord> batch) throws SQLException {
    try (Connection c = database.connection()) {
      c.setAutoCommit(false);
      try (PreparedStatement s = c.prepareStatement(INSERT)) {
        for (UsageRecord r : batch) {
          s.setTimestamp(1, Timestamp.from(r.at()));
          s.setString(2, r.operation());
          setNullable(s, 3, r.keyId());
          s.setString(4, r.userId());
          s.setString(5, r.requestedModel());
          setNullable(s, 6, r.model());
          setNullable(s, 7, r.provider());
          s.setInt(8, r.inputTokens());
          s.setInt(9, r.outputTokens());
          s.setBoolean(10, r.tokensEstimated());
          s.setInt(11, r.latencyMillis());
          s.setBoolean(12, r.cacheHit());
          s.setString(13, r.status());
          setNullable(s, 14, r.traceId());
          s.addBatch();
        }
        s.executeBatch();
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private static void setNullable(PreparedStatement s, int i, String v) throws SQLException {
    if (v == null) {
      s.setNull(i, Types.VARCHAR);
    } else {
      s.setString(i, v);
    }
  }

  @Override
  public List<UsageRecord> recent(String userId, int limit) throws SQLException {
    try (Connection c = database.connection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT created_at, operation, key_id, user_id, requested_model, model, provider,"
                    + " input_tokens, output_tokens, tokens_estimated, latency_ms, cache_hit,"
                    + " status, trace_id FROM router_usage WHERE user_id = ?"
                    + " ORDER BY created_at DESC, id DESC LIMIT ?")) {
      s.setString(1, userId);
      s.setInt(2, Math.max(1, Math.min(limit, 1000)));
      List<UsageRecord> out = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(
              new UsageRecord(
                  rs.getTimestamp(1).toInstant(),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getString(5),
                  rs.getString(6),
                  rs.getString(7),
                  rs.getInt(8),
                  rs.getInt(9),
                  rs.getBoolean(10),
                  rs.getInt(11),
                  rs.getBoolean(12),
                  rs.getString(13),
                  rs.getString(14)));
        }
      }
      return out;
    }
  }

  @Override
  public long[] totals(String keyId, String userId, Instant since) throws SQLException {
    String where = keyId != null ? "key_id = ?" : "user_id = ? AND key_id IS NULL";
    try (Connection c = database.connection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), COUNT(*)"
                    + " FROM router_usage WHERE "
                    + where
                    + " AND created_at >= ?")) {
      s.setString(1, keyId != null ? keyId : userId);
      s.setTimestamp(2, Timestamp.from(since));
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
      }
    }
  }

  @Override
  public void check() throws SQLException {
    database.check();
  }

  @Override
  public void close() {
    database.close();
  }
}
