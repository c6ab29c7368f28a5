package dev.uat.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.uat.auth.Principal;
import dev.uat.events.EventPublisher;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /api/chat} and {@code /api/conversations}.
 *
 * <p>A chat stores the user's message first (a failing model loses nothing the user wrote), asks
 * the router in streaming mode, relays each chunk to realtime ({@code message.delta}) and, with
 * {@code stream: true}, to the caller as Server-Sent Events, then stores the complete answer once
 * and announces it ({@code message.created}). A caller who goes away mid-stream changes nothing:
 * the answer is still read to the end and stored.
 */
final class ChatRoutes {
  static final int TITLE_LENGTH = 80;
  static final int MAX_MODEL_LENGTH = 200;
  static final int DEFAULT_PAGE = 20;
  static final int MAX_PAGE = 100;

  /**
   * Characters of earlier messages sent to the model as context, at most (~512 KiB of heap as
   * strings): a conversation of huge answers does not make every chat hold them all.
   */
  static final long MAX_HISTORY_CHARS = 256 * 1024;

  private static final AttributeKey<String> CONVERSATION_ID =
      AttributeKey.stringKey("uat.conversation.id");

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ChatRequest(String conversationId, String model, String message, Boolean stream) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record MessageView(
      String id,
      String role,
      String content,
      String model,
      Integer inputTokens,
      Integer outputTokens,
      String traceId,
      Instant createdAt,
      Boolean truncated,
      Long contentChars) {
    static MessageView of(Store.Message m) {
      return new MessageView(
          m.id(),
          m.role(),
          m.content(),
          m.model(),
          m.inputTokens(),
          m.outputTokens(),
          m.traceId(),
          m.createdAt(),
          null,
          null);
    }

    /** This view of a message whose content was cut from {@code fullChars} characters. */
    MessageView cut(long fullChars) {
      return new MessageView(
          id, role, content, model, inputTokens, outputTokens, traceId, createdAt, true, fullChars);
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ConversationView(
      String id, String title, Instant createdAt, Instant updatedAt, List<MessageView> messages) {
    static ConversationView of(Store.Conversation c, List<MessageView> messages) {
      return new ConversationView(c.id(), c.title(), c.createdAt(), c.updatedAt(), messages);
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Usage(int inputTokens, int outputTokens) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ChatResponse(String conversationId, MessageView message, Usage usage, String traceId) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Delta(String conversationId, String messageId, String delta, int index) {}

  record TitleRequest(String title) {}

  private final ApiSettings settings;
  private final Store store;
  private final Authenticator auth;
  private final RouterClient router;
  private final EventPublisher events;
  private final RateLimiter chats;
  private final ConversationPages pages;
  private final ApiMetrics metrics;

  ChatRoutes(
      ApiSettings settings,
      Store store,
      Authenticator auth,
      RouterClient router,
      EventPublisher events,
      ApiMetrics metrics) {
    this.settings = settings;
    this.store = store;
    this.auth = auth;
    this.router = router;
    this.events = events;
    this.metrics = metrics;
    this.pages = new ConversationPages(store, metrics);
    this.chats =
        new RateLimiter(
            settings.limits().chatsPerMinute(),
            Duration.ofMinutes(1),
            n -> metrics.evicted("chats", n));
  }

  void register(JavalinConfig cfg) {
    cfg.routes.post("/api/chat", this::chat);
    cfg.routes.get("/api/conversations", this::list);
    cfg.routes.post("/api/conversations", this::create);
    cfg.routes.get("/api/conversations/{id}", this::get);
    cfg.routes.head("/api/conversations/{id}", this::exists);
    cfg.routes.patch("/api/conversations/{id}", this::rename);
    cfg.routes.delete("/api/conversations/{id}", this::delete);
  }

  private void chat(Context ctx) throws SQLException {
    Principal user = auth.require(ctx, Authenticator.Access.CHAT);
    ChatRequest req = Json.read(ctx.bodyAsBytes(), ChatRequest.class);
    String text = validateMessage(req.message());
    if (req.model() != null && (req.model().isBlank() || req.model().length() > MAX_MODEL_LENGTH)) {
      throw HttpError.invalid("field 'model' must be 1 to " + MAX_MODEL_LENGTH + " characters");
    }
    if (req.conversationId() != null && req.conversationId().length() > 36) {
      throw HttpError.notFound("conversation not found");
    }
    long wait = chats.acquire(user.userId());
    if (wait > 0) {
      metrics.hit(ApiMetrics.Limit.CHATS);
      throw new HttpError(
          429, "rate_limited", "too many chat requests; retry in " + wait + " s", wait);
    }
    String traceId = Span.current().getSpanContext().getTraceId();

    // 1. the user's message is stored first: a failing model loses nothing the user wrote
    Store.Conversation conversation;
    Store.Message question;
    try (Connection c = store.transaction()) {
      try {
        conversation =
            req.conversationId() == null
                ? store.createConversation(c, user.userId(), title(text))
                : store
                    .conversation(c, req.conversationId(), user.userId())
                    .orElseThrow(() -> HttpError.notFound("conversation not found"));
        question = store.addMessage(c, conversation.id(), "user", text, null, null, null, traceId);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
    Span.current().setAttribute(CONVERSATION_ID, conversation.id());
    String channel = "conversation:" + conversation.id();
    publish(channel, conversation.id(), question);

    Sse sse = Boolean.TRUE.equals(req.stream()) ? new Sse(ctx) : null;
    if (sse != null) {
      sse.send(
          "message",
          Map.of("conversation_id", conversation.id(), "message", MessageView.of(question)));
    }

    // 2. the model answers, with the conversation so far as context, chunk by chunk
    List<RouterClient.Turn> turns = history(conversation.id());
    String model = req.model() != null ? req.model() : settings.defaultModel();
    String answerId = Store.newId();
    String conversationId = conversation.id();
    RouterClient.Completion answer;
    try {
      answer =
          router.stream(
              model,
              turns,
              ctx.header("Authorization"),
              (delta, index) -> {
                Delta d = new Delta(conversationId, answerId, delta, index);
                events.publishUntraced(channel, "message.delta", d);
                if (sse != null) {
                  sse.send("delta", d);
                }
              });
    } catch (HttpError e) {
      if (sse == null) {
        throw e;
      }
      Span.current().setStatus(io.opentelemetry.api.trace.StatusCode.ERROR, e.getMessage());
      sse.send("error", Map.of("error", Map.of("code", e.code(), "message", e.getMessage())));
      sse.end();
      return;
    }

    // 3. the answer is stored once, complete, then announced and returned
    Store.Message reply =
        store.addMessage(
            answerId,
            conversation.id(),
            "assistant",
            answer.content(),
            answer.model(),
            answer.inputTokens(),
            answer.outputTokens(),
            traceId);
    publish(channel, conversation.id(), reply);
    ChatResponse response =
        new ChatResponse(
            conversation.id(),
            MessageView.of(reply),
            new Usage(answer.inputTokens(), answer.outputTokens()),
            traceId);
    if (sse != null) {
      sse.send("done", response);
      sse.end();
    } else {
      ctx.json(response);
    }
  }

  /**
   * Server-Sent Events to the caller. A write that fails (the caller left) stops the writing, not
   * the chat.
   */
  private static final class Sse {
    private final OutputStream out;
    private boolean gone;

    Sse(Context ctx) {
      ctx.status(200);
      ctx.contentType("text/event-stream");
      ctx.header("Cache-Control", "no-cache");
      ctx.header("X-Accel-Buffering", "no"); // nginx: do not buffer the stream
      OutputStream o;
      try {
        o = ctx.res().getOutputStream();
      } catch (IOException e) {
        o = null;
        gone = true;
      }
      this.out = o;
    }

    void send(String event, Object data) {
      if (gone) {
        return;
      }
      try {
        out.write(("event: " + event + "\ndata: ").getBytes(StandardCharsets.UTF_8));
        out.write(Json.write(data));
        out.write("\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
      } catch (IOException e) {
        gone = true;
        Span.current().addEvent("client disconnected");
      }
    }

    void end() {
      if (!gone) {
        try {
          out.close();
        } catch (IOException e) {
          gone = true;
        }
      }
    }
  }

  private void publish(String channel, String conversationId, Store.Message m) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("conversation_id", conversationId);
    data.put("message", MessageView.of(m));
    events.publish(channel, "message.created", data);
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
    Store.Conversation conv;
    try (Connection c = store.transaction()) {
      conv =
          store.createConversation(
              c, user.userId(), title == null ? "New conversation" : validTitle(title));
      c.commit();
    }
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

  /**
   * The context sent to the model: the newest {@link ApiSettings#historyMessages} messages, fewer
   * when they pass {@link #MAX_HISTORY_CHARS} (the newest, the question, always goes).
   */
  private List<RouterClient.Turn> history(String conversationId) throws SQLException {
    List<Store.MessageSize> sizes =
        store.messageSizes(conversationId, Long.MAX_VALUE, settings.historyMessages());
    int take = 0;
    long chars = 0;
    for (; take < sizes.size(); take++) {
      chars += sizes.get(take).chars();
      if (take > 0 && chars > MAX_HISTORY_CHARS) {
        metrics.hit(ApiMetrics.Limit.HISTORY_BYTES);
        break;
      }
    }
    List<RouterClient.Turn> turns = new ArrayList<>(take);
    if (take == 0) {
      return turns;
    }
    for (Store.StoredMessage m :
        store.messageRange(
            conversationId,
            sizes.get(take - 1).seq(),
            sizes.getFirst().seq(),
            take,
            ConversationPages.MAX_CONTENT_CHARS)) {
      turns.add(new RouterClient.Turn(m.message().role(), m.message().content()));
    }
    return turns;
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
    if (title == null || title.isBlank() || title.strip().length() > TITLE_LENGTH) {
      throw HttpError.invalid("field 'title' must be 1 to " + TITLE_LENGTH + " characters");
    }
    return title.strip();
  }

  private String validateMessage(String message) {
    if (message == null || message.isBlank()) {
      throw HttpError.invalid("field 'message' is required and must not be blank");
    }
    if (message.length() > settings.maxMessageChars()) {
      metrics.hit(ApiMetrics.Limit.MESSAGE_CHARS);
      throw HttpError.invalid(
          "field 'message' must be at most " + settings.maxMessageChars() + " characters");
    }
    return message;
  }

  private static String title(String message) {
    String t = message.strip().replaceAll("\\s+", " ");
    return t.length() <= TITLE_LENGTH ? t : t.substring(0, TITLE_LENGTH - 1) + "…";
  }
}
