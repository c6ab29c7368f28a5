package dev.uat.api;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/** One real PostgreSQL server for the whole test run; a fresh database for each test. */
final class TestPostgres {
  private static EmbeddedPostgres server;

  private TestPostgres() {}

  static synchronized ApiSettings freshDatabase(ApiSettings settings) {
    try {
      if (server == null) {
        server = EmbeddedPostgres.builder().start();
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      try {
                        server.close();
                      } catch (IOException e) {
                        // the JVM is going away
                      }
                    }));
      }
      String name = "uat_" + UUID.randomUUID().toString().replace("-", "");
      try (Connection c = server.getPostgresDatabase().getConnection();
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + name);
      }
      return settings.toBuilder()
          .jdbcUrl(server.getJdbcUrl("postgres", name))
          .jdbcUser("postgres")
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
