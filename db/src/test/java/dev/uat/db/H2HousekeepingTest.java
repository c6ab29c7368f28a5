package dev.uat.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.telemetry.TestTelemetry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.UUID;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An embedded H2 file database that writes every commit at once ({@code WRITE_DELAY=0}) keeps
 * chunks whose pages mostly died until something rewrites their live pages: {@link H2Housekeeping}
 * does, as H2's background writer would with delayed commits, and {@link Database#start} starts it
 * for such a database only.
 */
class H2HousekeepingTest {
  @TempDir Path dir;

  @Test
  void sparseChunksAreRewrittenSoTheirSpaceCanBeReused() throws Exception {
    // retention 0: the test need not wait H2's 45 s before chunks may be reused
    String url = "jdbc:h2:file:" + dir.resolve("h") + ";WRITE_DELAY=0;RETENTION_TIME=0";
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE rows_ (id VARCHAR(36) PRIMARY KEY, k VARCHAR(36), v VARCHAR(200))");
      s.execute("CREATE INDEX rows_k ON rows_ (k)");
      MVStore store = H2Housekeeping.store(c);
      assertThat(store).isNotNull();
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO rows_ VALUES (?, ?, ?)")) {
        for (int i = 0; i < 3_000; i++) { // each its own commit, at random places in both trees
          insert(insert, UUID.randomUUID().toString(), "row " + i);
        }
        long before = chunks(store);

        for (int i = 0; i < 3; i++) {
          H2Housekeeping.run(c);
          insert(insert, "k" + i, "after"); // the next commit drops the chunks the run emptied
        }

        // every chunk is an object in the heap, and its space in the file is not reused
        assertThat(before).as("chunks before").isGreaterThan(100);
        assertThat(chunks(store)).as("chunks after").isLessThan(before / 10);
      }
    }
  }

  @Test
  void theDatabaseKeepsHouseForAnEmbeddedFileThatCommitsAtOnceOnly() throws Exception {
    String file = "jdbc:h2:file:" + dir.resolve("d") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
    try (TestTelemetry otel = new TestTelemetry("uat-test")) {
      try (Database db = start(file, "kept", otel)) {
        assertThat(threads()).contains("kept-h2-housekeeping");
      }
      assertThat(threads()).doesNotContain("kept-h2-housekeeping");
      try (Database db = start("jdbc:h2:mem:m;DB_CLOSE_DELAY=-1;WRITE_DELAY=0", "mem", otel)) {
        assertThat(threads()).doesNotContain("mem-h2-housekeeping");
      }
    }
    assertThat(H2Housekeeping.needed("jdbc:h2:file:/tmp/x")).isFalse(); // H2's own thread does it
    assertThat(H2Housekeeping.needed("jdbc:postgresql://h/db")).isFalse();
  }

  private static Database start(String url, String name, TestTelemetry otel) {
    return Database.start(
        new Database.Settings(
            url, null, null, name, 2, "classpath:db/housekeeping", "flyway_schema_history"),
        otel.telemetry());
  }

  private static java.util.List<String> threads() {
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).toList();
  }

  private static void insert(PreparedStatement insert, String k, String v) throws Exception {
    insert.setString(1, UUID.randomUUID().toString());
    insert.setString(2, k);
    insert.setString(3, v);
    insert.executeUpdate();
  }

  private static long chunks(MVStore store) {
    return store.getLayoutMap().keySet().stream().filter(k -> k.startsWith("chunk.")).count();
  }
}
