package dev.uat.web;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import org.slf4j.Logger;

/**
 * A request that failed because the database cannot be reached (stopped, restarting, pool timed out
 * waiting for a connection) is the service being unavailable, not a bug: it answers {@code 503
 * database_unavailable} with {@code Retry-After}, like the credential check does, instead of {@code
 * 500 internal_error}, and logs one line at most every ten seconds instead of a stack trace per
 * request. Only JDK types are inspected ({@code java.sql}); the web module stays free of any driver
 * or pool.
 */
final class DatabaseOutage {
  /** What {@code Retry-After} says: the pool's connection timeout is 5 s. */
  static final long RETRY_AFTER_SECONDS = 5;

  /** HikariCP's message for a pooled connection the server closed (it carries no SQL state). */
  private static final String HIKARI_CLOSED = "Connection is closed";

  private static final LogThrottle throttle = new LogThrottle();

  private DatabaseOutage() {}

  /**
   * Whether {@code e}'s cause chain holds a connection failure: {@link
   * SQLTransientConnectionException} (HikariCP's pool timeout), {@link
   * SQLNonTransientConnectionException}, or an SQL state of class {@code 08} (connection exception,
   * e.g. PostgreSQL's refused connection), PostgreSQL's {@code 57P01}-{@code 57P03} (server
   * shutting down or starting), or HikariCP's "Connection is closed" (a pooled connection the
   * server closed, without a state).
   */
  static boolean causedBy(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLTransientConnectionException
          || t instanceof SQLNonTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException sql) {
        String state = sql.getSQLState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P0"))) {
          return true;
        }
        if (HIKARI_CLOSED.equals(sql.getMessage())) {
          return true;
        }
      }
    }
    return false;
  }

  static HttpError error() {
    return new HttpError(
        503,
        "database_unavailable",
        "the database cannot be reached right now; try again shortly",
        RETRY_AFTER_SECONDS);
  }

  /** One warning line (no stack trace), at most every ten seconds. */
  static void log(Logger log, String request, Throwable e) {
    if (throttle.occurred() > 0) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      log.warn(
          "database unavailable ({}: {}), first seen on {}",
          root.getClass().getSimpleName(),
          root.getMessage(),
          request);
    }
  }
}
