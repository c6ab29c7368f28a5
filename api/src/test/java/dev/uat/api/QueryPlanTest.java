package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.db.Database;
import dev.uat.telemetry.TestTelemetry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The queries every chat and every conversation list run read as many rows as they return, not
 * every row of the user or of the conversation: counted by H2's {@code EXPLAIN ANALYZE} (its {@code
 * scanCount}) on the migrated embedded database, with 1,000 conversations of one user and 1,000
 * messages in one conversation.
 */
class QueryPlanTest {
  private static final int ROWS = 1_000;
  private static final Pattern SCAN_COUNT = Pattern.compile("scanCount: (\\d+)");

  private final TestTelemetry otel = new TestTelemetry("uat-api");
  private Database db;
  private Store store;
  private String userId;
  private String busy; // the conversation with ROWS messages

  @BeforeEach
  void fill() throws Exception {
    db =
        Database.start(
            new Database.Settings(
                "jdbc:h2:mem:plan-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1",
                null,
                null,
                "plan",
                2,
                "classpath:db/migration",
                "flyway_schema_history"),
            otel.telemetry());
    store = new Store(new Jdbc(db));
    userId = store.createUser("ada@example.com", "x", "Ada").orElseThrow().id();
    store.inTransaction(
        c -> {
          Instant t = Instant.now().plusSeconds(3600); // after every conversation's creation
          for (int i = 0; i < ROWS; i++) {
            Store.Conversation conv = store.createConversation(c, userId, "c" + i);
            if (i == 0) {
              busy = conv.id();
            }
          }
          for (int i = 0; i < ROWS; i++) {
            store.addMessage(
                c,
                busy,
                new Store.Message(
                    Store.newId(), "user", "m" + i, null, null, null, null, t.plusSeconds(i)));
          }
          return null;
        });
  }

  @AfterEach
  void stop() {
    db.close();
    otel.close();
  }

  @Test
  void theHistoryOfAChatReadsOnlyTheNewestMessages() throws Exception {
    List<Store.MessageSize> newest = store.messageSizes(busy, Long.MAX_VALUE, 20);

    assertThat(newest).hasSize(20);
    assertThat(newest.getFirst().seq()).isGreaterThan(newest.getLast().seq());
    assertReadsAtMost(21, Store.MESSAGE_SIZES, 20, busy, Long.MAX_VALUE);
  }

  @Test
  void theFirstPageOfConversationsReadsOnlyThatPage() throws Exception {
    List<Store.Conversation> page = store.conversations(userId, 5, null, null);

    assertThat(page).hasSize(5);
    assertThat(page.getFirst().id()).isEqualTo(busy); // its messages made it the newest
    assertReadsAtMost(6, Store.CONVERSATIONS_FIRST, 5, userId);
  }

  @Test
  void aLaterPageOfConversationsReadsNoMoreThanTheRowsBeforeIt() throws Exception {
    List<Store.Conversation> first = store.conversations(userId, 5, null, null);
    Store.Conversation last = first.getLast();

    List<Store.Conversation> second = store.conversations(userId, 5, last.updatedAt(), last.id());

    assertThat(second).hasSize(5).doesNotContainAnyElementsOf(first);
    assertReadsAtMost(
        11, Store.CONVERSATIONS_AFTER, 5, userId, last.updatedAt(), last.updatedAt(), last.id());
  }

  /** H2 read at most {@code rows} rows to answer {@code sql} for its first {@code maxRows}. */
  private void assertReadsAtMost(long rows, String sql, int maxRows, Object... params)
      throws Exception {
    try (Connection c = db.connection();
        PreparedStatement s = c.prepareStatement("EXPLAIN ANALYZE " + sql)) {
      for (int i = 0; i < params.length; i++) {
        s.setObject(i + 1, params[i] instanceof Instant t ? java.sql.Timestamp.from(t) : params[i]);
      }
      s.setMaxRows(maxRows);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        String plan = r.getString(1);
        Matcher m = SCAN_COUNT.matcher(plan);
        assertThat(m.find()).as(plan).isTrue();
        assertThat(Long.parseLong(m.group(1))).as(plan).isLessThanOrEqualTo(rows);
      }
    }
  }
}
