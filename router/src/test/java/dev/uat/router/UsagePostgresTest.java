package dev.uat.router;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The usage suite on a real PostgreSQL server; each test gets a fresh database. */
class UsagePostgresTest extends AbstractUsageTest {
  private static EmbeddedPostgres postgres;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    postgres.close();
  }

  @Override
  RouterSettings database(RouterSettings settings) {
    String name = "router_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return settings.toBuilder().jdbcUrl(postgres.getJdbcUrl("postgres", name)).build();
  }
}
