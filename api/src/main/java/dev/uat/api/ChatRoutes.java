package dev.uat.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.uat.auth.Principal;
import dev.uat.events.EventPublisher;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.opentelemetry.api.trace.Span;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /api/chat} and {@code /api/conversations}. */
final class ChatRoutes {
  static final int TITLE_LENGTH = 80;
  static final int MAX_MODEL_LENGTH = 200;
  static final int LIST_LIMIT = 100;

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
      Instant createdAt) {
    static MessageView of(Store.Message m) {
      return new MessageView(
          m.id(),
          m.role(),
          m.content(),
          m.model(),
          m.inputTokens(),
          m.outputTokens(),
          m.traceId(),
          m.createdAt());
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

  private final ApiSettings settings;
  private final Store store;
  private final Authenticator auth;
  private final RouterClient router;
  private final EventPublisher events;

  ChatRoutes(
      ApiSettings settings,
      Store store,
      Authenticator auth,
      RouterClient router,
      EventPublisher events) {
    this.settings = settings;
    this.store = store;
    this.auth = auth;
    this.router = router;
    this.events = events;
  }

  void register(JavalinConfig cfg) {
    cfg.routes.post("/api/chat", this::chat);
    cfg.routes.get("/api/conversations", this::list);
    cfg.routes.post("/api/conversations", this::create);
    cfg.routes.get("/api/conversations/{id}", this::get);
    cfg.routes.head("/api/conversations/{id}", this::exists);
    cfg.routes.delete("/api/conversations/{id}", this::delete);
  }

  private void chat(Context ctx) throws SQLException {
    Principal user = auth.require(ctx);
    ChatRequest req = Json.read(ctx.bodyAsBytes(), ChatRequest.class);
    String text = validateMessage(req.message());
    if (Boolean.TRUE.equals(req.stream())) {
      throw HttpError.badRequest(
          "unsupported", "streaming chat comes in a later release; omit 'stream'");
    }
    if (req.model() != null && (req.model().isBlank() || req.model().length() > MAX_MODEL_LENGTH)) {
      throw HttpError.invalid("field 'model' must be 1 to " + MAX_MODEL_LENGTH + " characters");
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
    publish(conversation.id(), question);

    // 2. the model answers, with the conversation so far as context
    List<RouterClient.Turn> turns = new ArrayList<>();
    for (Store.Message m : store.messages(conversation.id(), settings.historyMessages())) {
      turns.add(new RouterClient.Turn(m.role(), m.content()));
    }
    String model = req.model() != null ? req.model() : settings.defaultModel();
    RouterClient.Completion answer = router.complete(model, turns, ctx.header("Authorization"));

    // 3. the answer is stored, announced, and returned
    Store.Message reply =
        store.addMessage(
            conversation.id(),
            "assistant",
            answer.content(),
            answer.model(),
            answer.inputTokens(),
            answer.outputTokens(),
            traceId);
    publish(conversation.id(), reply);
    ctx.json(
        new ChatResponse(
            conversation.id(),
            MessageView.of(reply),
            new Usage(answer.inputTokens(), answer.outputTokens()),
            traceId));
  }

  private void publish(String conversationId, Store.Message m) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("conversation_id", conversationId);
    data.put("message", MessageView.of(m));
    events.publish("conversation:" + conversationId, "message.created", data);
  }

  private void list(Context ctx) throws SQLException {
    Principal user = auth.require(ctx);
    List<ConversationView> out = new ArrayList<>();
    for (Store.Conversation c : store.conversations(user.userId(), LIST_LIMIT)) {
      out.add(ConversationView.of(c, null));
    }
    ctx.json(Map.of("data", out));
  }

  record CreateRequest(String title) {}

  private void create(Context ctx) throws SQLException {
    Principal user = auth.require(ctx);
    byte[] body = ctx.bodyAsBytes();
    String title = body.length == 0 ? null : Json.read(body, CreateRequest.class).title();
    if (title != null && (title.isBlank() || title.length() > TITLE_LENGTH)) {
      throw HttpError.invalid("field 'title' must be 1 to " + TITLE_LENGTH + " characters");
    }
    Store.Conversation conv;
    try (Connection c = store.transaction()) {
      conv =
          store.createConversation(
              c, user.userId(), title == null ? "New conversation" : title.strip());
      c.commit();
    }
    ctx.status(201).json(ConversationView.of(conv, List.of()));
  }

  private void get(Context ctx) throws SQLException {
    Principal user = auth.require(ctx);
    Store.Conversation conv = owned(ctx, user);
    List<MessageView> messages = new ArrayList<>();
    for (Store.Message m : store.messages(conv.id(), 10_000)) {
      messages.add(MessageView.of(m));
    }
    ctx.json(ConversationView.of(conv, messages));
  }

  /** Ownership check without the messages: used by realtime to authorize subscriptions. */
  private void exists(Context ctx) throws SQLException {
    owned(ctx, auth.require(ctx));
    ctx.status(204);
  }

  private void delete(Context ctx) throws SQLException {
    Principal user = auth.require(ctx);
    if (!store.deleteConversation(ctx.pathParam("id"), user.userId())) {
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

  private String validateMessage(String message) {
    if (message == null || message.isBlank()) {
      throw HttpError.invalid("field 'message' is required and must not be blank");
    }
    if (message.length() > settings.maxMessageChars()) {
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
