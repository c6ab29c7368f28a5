package dev.uat.api;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TracedDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The api's database: a HikariCP pool with pool metrics, migrated by Flyway at start, and seen
 * through the JDBC instrumentation so that every statement is a CLIENT span.
 */
final class Database implements AutoCloseable {
  private final HikariDataSource pool;
  private final DataSource traced;

  Database(ApiSettings settings, Telemetry telemetry) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(settings.effectiveJdbcUrl());
    if (settings.jdbcUser() != null) {
      config.setUsername(settings.jdbcUser());
    }
    if (settings.jdbcPassword() != null) {
      config.setPassword(settings.jdbcPassword());
    }
    config.setPoolName("uat-api");
    config.setMaximumPoolSize(10);
    config.setMinimumIdle(2);
    config.setConnectionTimeout(5_000);
    this.pool = TracedDataSource.pool(telemetry, config);
    try {
      Flyway.configure().dataSource(pool).locations("classpath:db/migration").load().migrate();
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    this.traced = TracedDataSource.traced(telemetry, pool);
  }

  /** A connection whose statements are traced. */
  Connection connection() throws SQLException {
    return traced.getConnection();
  }

  /** For readiness: a connection can be had and is valid. */
  void check() throws SQLException {
    try (Connection c = pool.getConnection()) {
      if (!c.isValid(2)) {
        throw new SQLException("database connection is not valid");
      }
    }
  }

  @Override
  public void close() {
    pool.close();
  }
}
