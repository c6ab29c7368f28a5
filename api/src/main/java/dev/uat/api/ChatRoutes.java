package dev.uat.api;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.uat.auth.Principal;
import dev.uat.events.EventPublisher;
import dev.uat.telemetry.UatAttributes;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import dev.uat.web.Sse;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /api/chat}.
 *
 * <p>A chat stores the user's message first (a failing model loses nothing the user wrote), in the
 * transaction that reads the conversation so far for the model (none for a conversation this
 * request made). When someone reads the answer as it is written (the caller asked {@code stream:
 * true}, or the bus says the conversation's channel is {@link EventPublisher#listened listened}
 * to), it asks the router in streaming mode and relays each chunk to realtime ({@code
 * message.delta}) and, with {@code stream: true}, to the caller as Server-Sent Events; otherwise it
 * asks for the answer in one piece. Either way it then stores the complete answer once, in one
 * transaction with the conversation's new {@code updated_at}, and announces it ({@code
 * message.created}). Two commits per chat, what docs/durability.md promises and no more. A caller
 * who goes away mid-stream changes nothing: the answer is still read to the end and stored.
 */
final class ChatRoutes {
  static final int TITLE_LENGTH = 80;
  static final int MAX_MODEL_LENGTH = 200;

  /**
   * Characters of earlier messages sent to the model as context, at most (~512 KiB of heap as
   * strings): a conversation of huge answers does not make every chat hold them all.
   */
  static final long MAX_HISTORY_CHARS = 256 * 1024;

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ChatRequest(String conversationId, String model, String message, Boolean stream) {}

  /** A message as the api shows it; cut when it alone passes a page's byte cap. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record MessageView(@JsonUnwrapped Store.Message message, Boolean truncated, Long contentChars) {
    static MessageView of(Store.Message m) {
      return new MessageView(m, null, null);
    }

    /** This view of a message whose content was cut from {@code fullChars} characters. */
    MessageView cut(long fullChars) {
      return new MessageView(message, true, fullChars);
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Usage(int inputTokens, int outputTokens) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ChatResponse(String conversationId, MessageView message, Usage usage, String traceId) {}

  /** The conversation a question was stored in, and what the model is sent. */
  private record Asked(String conversationId, List<RouterClient.Turn> turns) {}

  private final ApiSettings settings;
  private final Store store;
  private final Authenticator auth;
  private final RouterClient router;
  private final EventPublisher events;
  private final RateLimiter chats;
  private final ApiMetrics metrics;

  ChatRoutes(
      ApiSettings settings,
      Store store,
      Authenticator auth,
      RouterClient router,
      EventPublisher events,
      ApiMetrics metrics) {
    this.chats =
        RateLimiter.perMinute(settings.limits().chatsPerMinute(), n -> metrics.evicted("chats", n));
    this.settings = settings;
    this.store = store;
    this.auth = auth;
    this.router = router;
    this.events = events;
    this.metrics = metrics;
  }

  void register(JavalinConfig cfg) {
    cfg.routes.post("/api/chat", this::chat);
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
      throw metrics.tooMany(ApiMetrics.Limit.CHATS, wait);
    }
    String traceId = Span.current().getSpanContext().getTraceId();

    // 1. the user's message is stored first (a failing model loses nothing the user wrote), in one
    // transaction with the reading of what the model is sent: the conversation so far
    Store.Message question =
        new Store.Message(
            Store.newTimeOrderedId(), "user", text, null, null, null, traceId, Jdbc.now());
    Asked asked =
        store.inTransaction(
            c -> {
              if (req.conversationId() == null) {
                Store.Conversation conv = store.createConversation(c, user.userId(), title(text));
                store.insertMessage(c, conv.id(), question);
                // made in this request: its history is the question alone
                return new Asked(conv.id(), List.of(new RouterClient.Turn("user", text)));
              }
              Store.Conversation conv =
                  store
                      .conversation(c, req.conversationId(), user.userId())
                      .orElseThrow(() -> HttpError.notFound("conversation not found"));
              store.addMessage(c, conv.id(), question);
              return new Asked(conv.id(), history(c, conv.id()));
            });
    String conversationId = asked.conversationId();
    Span.current().setAttribute(UatAttributes.CONVERSATION_ID, conversationId);
    String channel = "conversation:" + conversationId;
    publish(channel, conversationId, question);

    EventStream sse = Boolean.TRUE.equals(req.stream()) ? new EventStream(ctx) : null;
    if (sse != null) {
      sse.send(
          "message",
          Map.of("conversation_id", conversationId, "message", MessageView.of(question)));
    }

    // 2. the model answers, chunk by chunk when someone reads the chunks (the caller, or a
    // subscriber of the channel), else in one piece
    String model = req.model() != null ? req.model() : settings.defaultModel();
    String answerId = Store.newTimeOrderedId();
    RouterClient.Completion answer;
    try {
      if (sse == null && !events.listened(channel)) {
        answer = router.complete(model, asked.turns(), ctx.header("Authorization"));
      } else {
        answer =
            router.stream(
                model,
                asked.turns(),
                ctx.header("Authorization"),
                (delta, index) -> {
                  ObjectNode d = delta(conversationId, answerId, delta, index);
                  events.publishUntraced(channel, "message.delta", d);
                  if (sse != null) {
                    sse.send("delta", d);
                  }
                });
      }
    } catch (HttpError e) {
      if (sse == null) {
        throw e;
      }
      Span.current().setStatus(StatusCode.ERROR, e.getMessage());
      sse.send("error", Map.of("error", Map.of("code", e.code(), "message", e.getMessage())));
      sse.end();
      return;
    }

    // 3. the answer is stored once, complete, then announced and returned
    Store.Message reply =
        new Store.Message(
            answerId,
            "assistant",
            answer.content(),
            answer.model(),
            answer.inputTokens(),
            answer.outputTokens(),
            traceId,
            Jdbc.now());
    store.addMessage(conversationId, reply); // one transaction: the answer and updated_at
    publish(channel, conversationId, reply);
    ChatResponse response =
        new ChatResponse(
            conversationId,
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
  private static final class EventStream {
    private final OutputStream out;
    private boolean gone;

    EventStream(Context ctx) {
      ctx.status(200);
      ctx.contentType(Sse.CONTENT_TYPE);
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
        Sse.write(out, event, Json.writeString(data));
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
    events.publish(channel, "message.created", created(conversationId, m));
  }

  /*
   * The events' data as JSON trees, built field by field: the in-process realtime keeps and sends
   * trees (it would otherwise make one with Jackson's valueToTree, on this request's thread, ~3 %
   * of a chat's CPU), and the other buses write them as they would the records. The same JSON as
   * MessageView would be (ChatEventsTest).
   */

  /** The data of {@code message.created}: {@code {conversation_id, message}}. */
  static ObjectNode created(String conversationId, Store.Message m) {
    ObjectNode data = Json.MAPPER.createObjectNode();
    data.put("conversation_id", conversationId);
    ObjectNode message = data.putObject("message");
    putNonNull(message, "id", m.id());
    putNonNull(message, "role", m.role());
    putNonNull(message, "content", m.content());
    putNonNull(message, "model", m.model());
    if (m.inputTokens() != null) {
      message.put("input_tokens", m.inputTokens().intValue());
    }
    if (m.outputTokens() != null) {
      message.put("output_tokens", m.outputTokens().intValue());
    }
    putNonNull(message, "trace_id", m.traceId());
    if (m.createdAt() != null) {
      message.put("created_at", m.createdAt().toString()); // ISO-8601, as Jackson writes Instants
    }
    return data;
  }

  /** The data of {@code message.delta}: {@code {conversation_id, message_id, delta, index}}. */
  static ObjectNode delta(String conversationId, String messageId, String text, int index) {
    ObjectNode data = Json.MAPPER.createObjectNode();
    data.put("conversation_id", conversationId);
    data.put("message_id", messageId);
    data.put("delta", text);
    data.put("index", index);
    return data;
  }

  private static void putNonNull(ObjectNode node, String field, String value) {
    if (value != null) {
      node.put(field, value);
    }
  }

  /**
   * The context sent to the model: the newest {@link ApiSettings#historyMessages} messages, fewer
   * when they pass {@link #MAX_HISTORY_CHARS} (the newest, the question, always goes).
   */
  private List<RouterClient.Turn> history(Connection c, String conversationId) throws SQLException {
    List<Store.MessageSize> sizes =
        store.messageSizes(c, conversationId, Long.MAX_VALUE, settings.historyMessages());
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
            c,
            conversationId,
            sizes.get(take - 1).seq(),
            sizes.getFirst().seq(),
            take,
            ConversationPages.MAX_CONTENT_CHARS)) {
      turns.add(new RouterClient.Turn(m.message().role(), m.message().content()));
    }
    return turns;
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
