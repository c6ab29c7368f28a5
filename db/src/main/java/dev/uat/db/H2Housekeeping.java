package dev.uat.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The housekeeping H2 leaves undone for an embedded file database that writes every commit before
 * acknowledging it ({@code WRITE_DELAY=0}, docs/durability.md). H2 writes each commit as a new
 * chunk of the file holding the B-tree pages it changed; a chunk is reused only once none of its
 * pages is live, and the pages that stay live in old chunks are moved out of them by H2's
 * background writer, which H2 runs only when commits are delayed. Without it those chunks are never
 * freed: the file, and the heap that holds one object per chunk, grew for as long as the process
 * ran (a soak: 20,600 → 52,300 chunk objects in 7 minutes, the old generation ~1 MB a minute;
 * docs/reliability.md, finding 17).
 *
 * <p>So, every {@link #INTERVAL}, this rewrites the live pages of chunks filled less than {@link
 * #TARGET_FILL_RATE} %, at most {@link #MAX_WRITE_BYTES} a run (what H2's own housekeeping does). A
 * run holds H2's store lock from its first read to its last write, and every commit waits for it:
 * runs of 16 MiB every 5 s stopped the chat of a process some minutes into its load for up to 400
 * ms (docs/benchmarks.md, issue 12), so runs are small and frequent: 2 MiB/s at most, against 3.2
 * before (4 MiB/s cost 8 % of the chat throughput at 16 connections). Old chunks are still kept for
 * H2's retention time (45 s) before their space is reused, so the file holds about that much of the
 * recent writes: ~1.7 GB at 450 chats/s measured, less at ordinary rates. One daemon thread per
 * database; a failed run is logged at debug and retried.
 */
final class H2Housekeeping implements AutoCloseable {
  static final Duration INTERVAL = Duration.ofMillis(500);

  /** H2's own default target (its {@code autoCompactFillRate}). */
  static final int TARGET_FILL_RATE = 90;

  static final int MAX_WRITE_BYTES = 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(H2Housekeeping.class);

  private final DataSource pool;
  private final ScheduledExecutorService timer;

  private H2Housekeeping(DataSource pool, String name) {
    this.pool = pool;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name(name + "-h2-housekeeping").unstarted(r));
    timer.scheduleWithFixedDelay(
        this::runQuietly, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Starts it for an embedded H2 file database that writes every commit at once; else null. */
  static H2Housekeeping startIfNeeded(DataSource pool, String jdbcUrl, String name) {
    return needed(jdbcUrl) ? new H2Housekeeping(pool, name) : null;
  }

  /** Whether {@code jdbcUrl} is an embedded H2 file database that writes every commit at once. */
  static boolean needed(String jdbcUrl) {
    String url = jdbcUrl.toUpperCase(java.util.Locale.ROOT);
    boolean file = url.startsWith("JDBC:H2:FILE:") || url.startsWith("JDBC:H2:~");
    return file && url.contains("WRITE_DELAY=0");
  }

  /**
   * One run on the database behind {@code c}: sparse chunks' live pages rewritten; false when there
   * was nothing to do (or it is not an embedded H2 database).
   */
  static boolean run(Connection c) throws SQLException {
    MVStore store = store(c);
    return store != null && !store.isClosed() && store.compact(TARGET_FILL_RATE, MAX_WRITE_BYTES);
  }

  private void runQuietly() {
    try (Connection c = pool.getConnection()) {
      run(c);
    } catch (SQLException | RuntimeException e) {
      log.debug("H2 housekeeping failed; next run in {}", INTERVAL, e);
    }
  }

  /** The embedded database's store behind {@code c}, or null for anything else. */
  static MVStore store(Connection c) throws SQLException {
    if (!c.isWrapperFor(JdbcConnection.class)
        || !(c.unwrap(JdbcConnection.class).getSession() instanceof SessionLocal session)) {
      return null;
    }
    var store = session.getDatabase().getStore();
    return store == null ? null : store.getMvStore();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
