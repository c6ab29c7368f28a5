package dev.uat.telemetry;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.opentelemetry.instrumentation.hikaricp.v3_0.HikariTelemetry;
import io.opentelemetry.instrumentation.jdbc.datasource.JdbcTelemetry;
import javax.sql.DataSource;

/**
 * A HikariCP pool whose connections make JDBC CLIENT spans ({@code db.system.name}, sanitized
 * {@code db.query.text}) and whose pool reports {@code db.client.connection.*} metrics.
 */
public final class TracedDataSource {
  private TracedDataSource() {}

  /** The pool itself: close it on shutdown. Use {@link #traced} for queries. */
  public static HikariDataSource pool(Telemetry telemetry, HikariConfig config) {
    config.setMetricsTrackerFactory(
        HikariTelemetry.create(telemetry.openTelemetry()).createMetricsTrackerFactory());
    return new HikariDataSource(config);
  }

  /** The pool seen through the JDBC instrumentation: statements become spans. */
  public static DataSource traced(Telemetry telemetry, DataSource pool) {
    return JdbcTelemetry.builder(telemetry.openTelemetry())
        .setQuerySanitizationEnabled(true)
        .setDataSourceInstrumenterEnabled(false)
        .build()
        .wrap(pool);
  }
}
