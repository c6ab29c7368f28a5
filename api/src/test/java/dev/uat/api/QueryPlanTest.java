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

  @Test
  void pagingThroughConversationsWithTheSameTimeReturnsEachOnceInOrder() throws Exception {
    Instant same = Instant.parse("2026-06-01T00:00:00Z");
    store.inTransaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement("UPDATE conversations SET updated_at = ? WHERE id <> ?")) {
            s.setTimestamp(1, java.sql.Timestamp.from(same));
            s.setString(2, busy);
            s.executeUpdate();
          }
          return null;
        });
    List<String> expected = new java.util.ArrayList<>();
    expected.add(busy); // its messages made it the newest; the rest tie, by id, descending
    store.conversations(userId, ROWS, null, null).stream()
        .map(Store.Conversation::id)
        .filter(id -> !id.equals(busy))
        .sorted(java.util.Comparator.reverseOrder())
        .forEach(expected::add);

    List<String> paged = new java.util.ArrayList<>();
    Store.Conversation last = null;
    for (int page = 0; page <= ROWS / 7 + 1; page++) {
      List<Store.Conversation> got =
          last == null
              ? store.conversations(userId, 7, null, null)
              : store.conversations(userId, 7, last.updatedAt(), last.id());
      if (got.isEmpty()) {
        break;
      }
      got.forEach(c -> paged.add(c.id()));
      last = got.getLast();
    }

    assertThat(paged).hasSize(ROWS).containsExactlyElementsOf(expected);
  }

  @Test
  void theAuditListReadsOnlyItsPageWhateverTheFilter() throws Exception {
    // ten events of Ada's, older than a thousand failed logins of nobody's
    store.inTransaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "INSERT INTO audit_events (id, user_id, event, created_at) VALUES (?, ?, ?, ?)")) {
            for (int i = 0; i < 10 + ROWS; i++) {
              s.setString(1, Store.newId());
              s.setString(2, i < 10 ? userId : null);
              s.setString(3, i < 10 ? "key.created" : "login.failed");
              s.setTimestamp(4, java.sql.Timestamp.from(Instant.now()));
              s.executeUpdate();
            }
          }
          return null;
        });
    Audit audit = new Audit(new Jdbc(db));

    List<Audit.Entry> mine = audit.list(0, 5, userId, null);
    List<Audit.Entry> created = audit.list(0, 5, null, "key.created");

    assertThat(mine).hasSize(5).allMatch(e -> e.event().equals("key.created"));
    assertThat(mine.getFirst().seq()).isGreaterThan(mine.getLast().seq());
    assertThat(created).isEqualTo(mine);
    assertReadsAtMost(6, Audit.listSql(true, false), 5, Long.MAX_VALUE, userId);
    assertReadsAtMost(6, Audit.listSql(false, true), 5, Long.MAX_VALUE, "key.created");
    assertReadsAtMost(6, Audit.listSql(false, false), 5, Long.MAX_VALUE);
    assertReadsAtMost(6, Audit.listSql(true, true), 5, Long.MAX_VALUE, userId, "key.created");
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
