package dev.uat.auth;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.Event;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A signal that credentials stopped being valid before their expiry: one login session ended
 * (logout, refresh-token reuse, a session deleted), every session of an account ended (logout-all,
 * password change), or an API key revoked. The api announces them on the event bus ({@link
 * #CHANNEL}); every component's {@link Credentials} forgets what it had cached and tells its
 * listeners (realtime closes the sockets concerned). Without the bus a component still learns
 * within {@link Credentials#RECHECK}.
 *
 * @param kind what ended
 * @param id the session id, account id or key id
 */
public record Revocation(Kind kind, String id) {
  /** The internal bus channel; realtime never delivers it to a client. */
  public static final String CHANNEL = "internal:auth";

  /** Event name on {@link #CHANNEL}. */
  public static final String EVENT = "credentials.revoked";

  public enum Kind {
    /** One login session ({@code sid}) ended. */
    SESSION,
    /** Every session and key of one account ended. */
    USER,
    /** One API key revoked. */
    KEY
  }

  public Revocation {
    requireNonNull(kind, "kind");
    requireNonNull(id, "id");
  }

  public static Revocation session(String sessionId) {
    return new Revocation(Kind.SESSION, sessionId);
  }

  public static Revocation user(String userId) {
    return new Revocation(Kind.USER, userId);
  }

  public static Revocation key(String keyId) {
    return new Revocation(Kind.KEY, keyId);
  }

  /** Whether this revocation ends {@code p}'s access. */
  public boolean concerns(Principal p) {
    return switch (kind) {
      case SESSION -> id.equals(p.sessionId());
      case USER -> id.equals(p.userId());
      case KEY -> p.isApiKey() && id.equals(p.tokenId());
    };
  }

  /** As an event on {@link #CHANNEL}; its data survives a JSON round trip. */
  public Event toEvent() {
    return new Event(
        CHANNEL,
        EVENT,
        Map.of("kind", kind.name().toLowerCase(Locale.ROOT), "id", id),
        null,
        System.currentTimeMillis());
  }

  /** The revocation an event carries, or empty if it carries none. */
  public static Optional<Revocation> fromEvent(Event event) {
    if (!CHANNEL.equals(event.channel()) || !EVENT.equals(event.event())) {
      return Optional.empty();
    }
    String kind;
    String id;
    if (event.data() instanceof Map<?, ?> data) { // in process, or read back as a map
      kind = data.get("kind") instanceof String s ? s : null;
      id = data.get("id") instanceof String s ? s : null;
    } else if (event.data() instanceof JsonNode data) { // read back as a JSON tree
      kind = data.path("kind").isTextual() ? data.path("kind").asText() : null;
      id = data.path("id").isTextual() ? data.path("id").asText() : null;
    } else {
      return Optional.empty();
    }
    if (kind == null || id == null || id.isEmpty() || id.length() > 64) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Revocation(Kind.valueOf(kind.toUpperCase(Locale.ROOT)), id));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
