package dev.uat.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.uat.auth.Principal;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /api/conversations}: a user's conversations, listed by recent activity, created, renamed,
 * deleted, and read a page of messages at a time ({@link ConversationPages}). Another user's
 * conversation is never found (404). Blocking JDBC; thread-safe.
 */
final class ConversationRoutes {
  static final int DEFAULT_PAGE = 20;
  static final int MAX_PAGE = 100;

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ConversationView(
      String id,
      String title,
      Instant createdAt,
      Instant updatedAt,
      List<ChatRoutes.MessageView> messages) {
    static ConversationView of(Store.Conversation c, List<ChatRoutes.MessageView> messages) {
      return new ConversationView(c.id(), c.title(), c.createdAt(), c.updatedAt(), messages);
    }
  }

  record TitleRequest(String title) {}

  private final Store store;
  private final Authenticator auth;
  private final ConversationPages pages;

  ConversationRoutes(Store store, Authenticator auth, ApiMetrics metrics) {
    this.store = store;
    this.auth = auth;
    this.pages = new ConversationPages(store, metrics);
  }

  void register(JavalinConfig cfg) {
    cfg.routes.get("/api/conversations", this::list);
    cfg.routes.post("/api/conversations", this::create);
    cfg.routes.get("/api/conversations/{id}", this::get);
    cfg.routes.head("/api/conversations/{id}", this::exists);
    cfg.routes.patch("/api/conversations/{id}", this::rename);
    cfg.routes.delete("/api/conversations/{id}", this::delete);
  }

  private void list(Context ctx) throws SQLException {
    Principal user = auth.require(ctx, Authenticator.Access.CHAT);
    int limit = pageSize(ctx.queryParam("limit"));
    Instant afterUpdated = null;
    String afterId = null;
    String cursor = ctx.queryParam("cursor");
    if (cursor != null) {
      try {
        String[] parts =
            new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8)
                .split("\\|", 2);
        afterUpdated = Instant.parse(parts[0]);
        afterId = parts[1];
      } catch (RuntimeException e) {
        throw HttpError.invalid("parameter 'cursor' is not one this API gave out");
      }
    }
    List<Store.Conversation> page =
        store.conversations(user.userId(), limit + 1, afterUpdated, afterId);
    List<ConversationView> out = new ArrayList<>();
    for (Store.Conversation c : page.subList(0, Math.min(limit, page.size()))) {
      out.add(ConversationView.of(c, null));
    }
    String next = null;
    if (page.size() > limit) {
      Store.Conversation last = page.get(limit - 1);
      next =
          Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(
                  (last.updatedAt() + "|" + last.id()).getBytes(StandardCharsets.UTF_8));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("data", out);
    body.put("next_cursor", next);
    ctx.json(body);
  }

  static int pageSize(String limit) {
    return pageSize(limit, DEFAULT_PAGE, MAX_PAGE);
  }

  static int pageSize(String limit, int defaultSize, int max) {
    if (limit == null) {
      return defaultSize;
    }
    try {
      int n = Integer.parseInt(limit);
      if (n >= 1 && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw HttpError.invalid("parameter 'limit' must be a whole number from 1 to " + max);
  }

  private void create(Context ctx) throws SQLException {
    Principal user = auth.require(ctx, Authenticator.Access.CHAT);
    byte[] body = ctx.bodyAsBytes();
    String title = body.length == 0 ? null : Json.read(body, TitleRequest.class).title();
    String name = title == null ? "New conversation" : validTitle(title);
    Store.Conversation conv =
        store.inTransaction(c -> store.createConversation(c, user.userId(), name));
    ctx.status(201).json(ConversationView.of(conv, List.of()));
  }

  /**
   * The conversation with a page of its messages: the newest {@code limit} before {@code cursor},
   * oldest first, within {@link ConversationPages#MAX_RESPONSE_BYTES}; {@code next_cursor} reads
   * the older ones.
   */
  private void get(Context ctx) throws SQLException {
    Principal user = auth.require(ctx, Authenticator.Access.CHAT);
    Store.Conversation conv = owned(ctx, user);
    int limit =
        pageSize(
            ctx.queryParam("limit"),
            ConversationPages.DEFAULT_MESSAGES,
            ConversationPages.MAX_MESSAGES);
    ConversationPages.Page page = pages.read(conv.id(), ctx.queryParam("cursor"), limit);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", conv.id());
    body.put("title", conv.title());
    body.put("created_at", conv.createdAt());
    body.put("updated_at", conv.updatedAt());
    body.put("messages", page.messages());
    body.put("next_cursor", page.nextCursor());
    ctx.json(body);
  }

  /** Ownership check without the messages: used by realtime to authorize subscriptions. */
  private void exists(Context ctx) throws SQLException {
    owned(ctx, auth.require(ctx, Authenticator.Access.CHAT));
    ctx.status(204);
  }

  private void rename(Context ctx) throws SQLException {
    Principal user = auth.require(ctx, Authenticator.Access.CHAT);
    String title = validTitle(Json.read(ctx.bodyAsBytes(), TitleRequest.class).title());
    String id = ctx.pathParam("id");
    if (id.length() > 36 || !store.renameConversation(id, user.userId(), title)) {
      throw HttpError.notFound("conversation not found");
    }
    ctx.json(ConversationView.of(owned(ctx, user), null));
  }

  private void delete(Context ctx) throws SQLException {
    Principal user = auth.require(ctx, Authenticator.Access.CHAT);
    String id = ctx.pathParam("id");
    if (id.length() > 36 || !store.deleteConversation(id, user.userId())) {
      throw HttpError.notFound("conversation not found");
    }
    ctx.status(204);
  }

  private Store.Conversation owned(Context ctx, Principal user) throws SQLException {
    String id = ctx.pathParam("id");
    if (id.length() > 36) {
      throw HttpError.notFound("conversation not found");
    }
    return store
        .conversation(id, user.userId())
        .orElseThrow(() -> HttpError.notFound("conversation not found"));
  }

  private static String validTitle(String title) {
    if (title == null || title.isBlank() || title.strip().length() > ChatRoutes.TITLE_LENGTH) {
      throw HttpError.invalid(
          "field 'title' must be 1 to " + ChatRoutes.TITLE_LENGTH + " characters");
    }
    return title.strip();
  }
}
