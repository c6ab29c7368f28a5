package dev.uat.api;

import dev.uat.web.Service;
import io.javalin.http.Context;
import io.opentelemetry.api.trace.Span;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The security audit trail: logins and failed logins, key and session changes, password changes,
 * token reuse. Each event keeps who, from where (address, user agent) and the trace id of the
 * request, so an auditor can jump from the event to what happened.
 */
final class Audit {
  private static final Logger log = LoggerFactory.getLogger(Audit.class);

  static final String LOGIN = "login";
  static final String LOGIN_FAILED = "login_failed";
  static final String REGISTERED = "registered";
  static final String LOGOUT = "logout";
  static final String LOGOUT_ALL = "logout_all";
  static final String SESSION_REVOKED = "session_revoked";
  static final String REFRESH_REUSED = "refresh_token_reused";
  static final String PASSWORD_CHANGED = "password_changed";
  static final String KEY_CREATED = "api_key_created";
  static final String KEY_REVOKED = "api_key_revoked";

  record Entry(
      long seq,
      String id,
      String userId,
      String event,
      String ip,
      String userAgent,
      String traceId,
      String details,
      Instant createdAt) {}

  private final Jdbc jdbc;

  Audit(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  /** The request's client address as stored (sessions, audit events): at most 64 characters. */
  static String address(Context ctx) {
    return truncate(Service.clientAddress(ctx), 64);
  }

  /** The request's user agent as stored (sessions, audit events): at most 256 characters. */
  static String userAgent(Context ctx) {
    return truncate(ctx.userAgent(), 256);
  }

  /**
   * Records an event for the request in {@code ctx}. Never fails the request: a failure to audit is
   * logged as an error (and visible in the trace).
   */
  void record(Context ctx, String userId, String event, String details) {
    try {
      jdbc.update(
          "INSERT INTO audit_events (id, user_id, event, ip, user_agent, trace_id, details,"
              + " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          Store.newId(),
          userId,
          event,
          address(ctx),
          userAgent(ctx),
          Span.current().getSpanContext().getTraceId(),
          truncate(details, 1000),
          Jdbc.now());
    } catch (SQLException e) {
      log.error("audit event {} for {} not recorded", event, userId, e);
      Span.current().recordException(e);
    }
  }

  /** Events older than {@code beforeSeq} (0: the newest), newest first. */
  List<Entry> list(long beforeSeq, int limit, String userId, String event) throws SQLException {
    List<Object> params = new ArrayList<>(List.of(beforeSeq <= 0 ? Long.MAX_VALUE : beforeSeq));
    if (userId != null) {
      params.add(userId);
    }
    if (event != null) {
      params.add(event);
    }
    return jdbc.list(listSql(userId != null, event != null), Audit::row, limit, params.toArray());
  }

  /**
   * The list's query. Its ORDER BY names the index it is read from, leading column first (the
   * user's or the event's, bound by equality): else H2 reads from the newest event of anyone until
   * it has a page, all of them for a filter that matches little (QueryPlanTest).
   */
  static String listSql(boolean byUser, boolean byEvent) {
    StringBuilder sql =
        new StringBuilder(
            "SELECT seq, id, user_id, event, ip, user_agent, trace_id, details, created_at"
                + " FROM audit_events WHERE seq < ?");
    if (byUser) {
      sql.append(" AND user_id = ?");
    }
    if (byEvent) {
      sql.append(" AND event = ?");
    }
    sql.append(
        byUser
            ? " ORDER BY user_id DESC, seq DESC"
            : byEvent ? " ORDER BY event DESC, seq DESC" : " ORDER BY seq DESC");
    return sql.toString();
  }

  /** {@code s} cut to {@code max} characters; null stays null. */
  static String truncate(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }

  private static Entry row(ResultSet r) throws SQLException {
    return new Entry(
        r.getLong("seq"),
        r.getString("id"),
        r.getString("user_id"),
        r.getString("event"),
        r.getString("ip"),
        r.getString("user_agent"),
        r.getString("trace_id"),
        r.getString("details"),
        Jdbc.instant(r, "created_at"));
  }
}
