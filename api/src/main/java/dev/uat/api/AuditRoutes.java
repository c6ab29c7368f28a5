package dev.uat.api;

import dev.uat.web.HttpError;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code GET /api/audit}: the security audit trail, newest first, for administrators. */
final class AuditRoutes {
  private final Audit audit;
  private final Authenticator auth;

  AuditRoutes(Audit audit, Authenticator auth) {
    this.audit = audit;
    this.auth = auth;
  }

  void register(JavalinConfig cfg) {
    cfg.routes.get("/api/audit", this::list);
  }

  private void list(Context ctx) throws SQLException {
    auth.require(ctx, Authenticator.Access.ADMIN);
    int limit = ConversationRoutes.pageSize(ctx.queryParam("limit"));
    long before = 0;
    String cursor = ctx.queryParam("cursor");
    if (cursor != null) {
      try {
        before = Long.parseLong(cursor);
      } catch (NumberFormatException e) {
        throw HttpError.invalid("parameter 'cursor' is not one this API gave out");
      }
    }
    String user = ctx.queryParam("user_id");
    String event = ctx.queryParam("event");
    if ((user != null && user.length() > 36) || (event != null && event.length() > 48)) {
      throw HttpError.invalid("parameters 'user_id' and 'event' are too long");
    }
    List<Audit.Entry> page = audit.list(before, limit + 1, user, event);
    List<Map<String, Object>> data = new java.util.ArrayList<>();
    for (Audit.Entry e : page.subList(0, Math.min(limit, page.size()))) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", e.id());
      m.put("event", e.event());
      m.put("user_id", e.userId());
      m.put("ip", e.ip());
      m.put("user_agent", e.userAgent());
      m.put("trace_id", e.traceId());
      m.put("details", e.details());
      m.put("created_at", e.createdAt());
      data.add(m);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("data", data);
    body.put("next_cursor", page.size() > limit ? Long.toString(page.get(limit - 1).seq()) : null);
    ctx.json(body);
  }
}
