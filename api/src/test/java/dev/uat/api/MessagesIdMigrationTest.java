package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * V5 on a database made by V1–V4 with messages in it, on both databases: the UNIQUE constraint on
 * {@code messages.id} is gone (its name differs between them), every message is still there, the
 * other constraints of the table still hold.
 */
class MessagesIdMigrationTest {
  @TempDir Path dir;

  @Test
  void h2() throws Exception {
    migrate("jdbc:h2:file:" + dir.resolve("uat") + ";DB_CLOSE_ON_EXIT=FALSE", null);
  }

  @Test
  void postgres() throws Exception {
    ApiSettings pg = TestPostgres.freshDatabase(ApiSettings.defaults(dir, "http://127.0.0.1:1"));
    migrate(pg.jdbcUrl(), pg.jdbcUser());
  }

  private void migrate(String url, String user) throws Exception {
    Flyway toV4 = flyway(url, user, "4");
    toV4.migrate();
    try (Connection c = DriverManager.getConnection(url, user, null)) {
      assertThat(uniqueOnId(c)).hasSize(1); // what V1 made, under the database's own name
      try (Statement s = c.createStatement()) {
        s.executeUpdate(
            "INSERT INTO users (id, email, password_hash, created_at)"
                + " VALUES ('u1', 'ada@example.com', 'x', CURRENT_TIMESTAMP)");
        s.executeUpdate(
            "INSERT INTO conversations (id, user_id, title, created_at, updated_at)"
                + " VALUES ('c1', 'u1', 't', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)");
        for (int i = 0; i < 3; i++) {
          s.executeUpdate(
              "INSERT INTO messages (id, conversation_id, role, content, created_at)"
                  + " VALUES ('m"
                  + i
                  + "', 'c1', 'user', 'hello', CURRENT_TIMESTAMP)");
        }
      }
    }

    flyway(url, user, "latest").migrate();

    try (Connection c = DriverManager.getConnection(url, user, null);
        Statement s = c.createStatement()) {
      assertThat(uniqueOnId(c)).isEmpty();
      try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM messages")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(3);
      }
      // NOT NULL and the foreign key stay
      assertThat(
              fails(
                  s,
                  "INSERT INTO messages (id, conversation_id, role, content, created_at)"
                      + " VALUES (NULL, 'c1', 'user', 'x', CURRENT_TIMESTAMP)"))
          .isTrue();
      assertThat(
              fails(
                  s,
                  "INSERT INTO messages (id, conversation_id, role, content, created_at)"
                      + " VALUES ('m9', 'nope', 'user', 'x', CURRENT_TIMESTAMP)"))
          .isTrue();
    }
  }

  private static Flyway flyway(String url, String user, String target) {
    return Flyway.configure()
        .dataSource(url, user, null)
        .locations("classpath:db/migration")
        .target(target)
        .load();
  }

  /** The names of the one-column UNIQUE constraints on messages.id. */
  private static List<String> uniqueOnId(Connection c) throws SQLException {
    List<String> names = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT tc.constraint_name FROM information_schema.table_constraints tc"
                    + " JOIN information_schema.key_column_usage k"
                    + " ON k.constraint_schema = tc.constraint_schema"
                    + " AND k.constraint_name = tc.constraint_name"
                    + " WHERE tc.constraint_type = 'UNIQUE'"
                    + " AND LOWER(tc.table_name) = 'messages' AND LOWER(k.column_name) = 'id'");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  private static boolean fails(Statement s, String sql) {
    try {
      s.executeUpdate(sql);
      return false;
    } catch (SQLException e) {
      return true;
    }
  }
}
