package dev.uat.db;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.uat.telemetry.Telemetry;
import io.opentelemetry.instrumentation.hikaricp.v3_0.HikariTelemetry;
import io.opentelemetry.instrumentation.jdbc.datasource.JdbcTelemetry;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * A component's database, started the one way every component starts it: a HikariCP pool that
 * reports {@code db.client.connection.*} metrics, migrated by Flyway before first use, and seen
 * through the JDBC instrumentation so that every statement is a CLIENT span ({@code
 * db.system.name}, sanitized {@code db.query.text}).
 *
 * <p>Thread-safe. {@link #start} blocks while it connects and migrates, and throws (closing the
 * pool) when either fails.
 */
public final class Database implements AutoCloseable {
  /**
   * How to reach and migrate one database.
   *
   * @param jdbcUrl where the database is
   * @param user null when the URL says it, or none is needed
   * @param password null when the URL says it, or none is needed
   * @param poolName names the pool in metrics and thread names
   * @param maxConnections the pool's size
   * @param migrations Flyway locations, e.g. {@code classpath:db/migration}
   * @param historyTable Flyway's history table; components sharing one database each keep their own
   */
  public record Settings(
      String jdbcUrl,
      String user,
      String password,
      String poolName,
      int maxConnections,
      String migrations,
      String historyTable) {
    public Settings {
      requireNonNull(jdbcUrl, "jdbcUrl");
      requireNonNull(poolName, "poolName");
      requireNonNull(migrations, "migrations");
      requireNonNull(historyTable, "historyTable");
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
      }
    }

    @Override
    public String toString() {
      return "Database.Settings[" + poolName + " " + jdbcUrl + ", password hidden]";
    }
  }

  private final HikariDataSource pool;
  private final DataSource traced;
  private final H2Housekeeping housekeeping; // null unless an embedded H2 file, WRITE_DELAY=0

  private Database(HikariDataSource pool, DataSource traced, H2Housekeeping housekeeping) {
    this.pool = pool;
    this.traced = traced;
    this.housekeeping = housekeeping;
  }

  /** Connects, migrates and returns the database; on failure nothing stays open. */
  public static Database start(Settings settings, Telemetry telemetry) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(settings.jdbcUrl());
    if (settings.user() != null) {
      config.setUsername(settings.user());
    }
    if (settings.password() != null) {
      config.setPassword(settings.password());
    }
    config.setPoolName(settings.poolName());
    config.setMaximumPoolSize(settings.maxConnections());
    config.setMinimumIdle(Math.min(2, settings.maxConnections()));
    config.setConnectionTimeout(5_000);
    config.setMetricsTrackerFactory(
        HikariTelemetry.create(telemetry.openTelemetry()).createMetricsTrackerFactory());
    HikariDataSource pool = new HikariDataSource(config);
    try {
      Flyway.configure()
          .dataSource(pool)
          .locations(settings.migrations())
          .table(settings.historyTable())
          .baselineOnMigrate(true)
          .baselineVersion("0")
          .load()
          .migrate();
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    DataSource traced =
        JdbcTelemetry.builder(telemetry.openTelemetry())
            .setQuerySanitizationEnabled(true)
            .setDataSourceInstrumenterEnabled(false)
            .build()
            .wrap(pool);
    return new Database(
        pool, traced, H2Housekeeping.startIfNeeded(pool, settings.jdbcUrl(), settings.poolName()));
  }

  /** A pooled connection whose statements are traced; close it to return it. */
  public Connection connection() throws SQLException {
    return traced.getConnection();
  }

  /** For readiness: throws unless a valid connection can be had within two seconds. */
  public void check() throws SQLException {
    try (Connection c = pool.getConnection()) {
      if (!c.isValid(2)) {
        throw new SQLException("database connection is not valid");
      }
    }
  }

  @Override
  public void close() {
    if (housekeeping != null) {
      housekeeping.close();
    }
    pool.close();
  }
}
