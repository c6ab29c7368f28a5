package dev.uat.realtime;

import io.opentelemetry.api.trace.Span;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joining and leaving channels: a subscription joins without losing or repeating an event (join,
 * then read the history, then release), and its user counts in the channel's {@link Presence}.
 *
 * <p>{@link #attach} is called on the connection's thread and may block (a history read); {@link
 * #leave} from any thread.
 */
final class Membership {
  private static final Logger log = LoggerFactory.getLogger(Membership.class);

  /** Builds a reply from the channel's position. */
  interface ReplyBuilder {
    Map<String, Object> reply(History.Position position);
  }

  private final int historySize;
  private final Delivery delivery;
  private final History history;
  private final Presence presence;

  Membership(int historySize, Delivery delivery, History history, Presence presence) {
    this.historySize = historySize;
    this.delivery = delivery;
    this.history = history;
    this.presence = presence;
  }

  /**
   * Joins a channel without losing or repeating an event: (1) on the delivery thread the
   * subscription joins the channel, holding live events back; (2) here, the channel's position is
   * read, or what the client missed since {@code from}; (3) on the delivery thread the reply, the
   * recovered events and the held-back ones newer than them go out, in that order. Returns the
   * recovery (null when the history could not be read: the client gets an error).
   */
  History.Recovery attach(Connection c, Subscription s, History.Position from, ReplyBuilder reply) {
    Subscription old = c.subscriptions.put(s.channel, s);
    if (old != null) {
      leave(old);
    }
    try {
      delivery.join(s);
      presence.joined(s.channel, c.userId());
    } catch (RuntimeException e) {
      c.subscriptions.remove(s.channel, s);
      c.error(null, "unavailable", "the hub is shutting down");
      return null;
    }
    History.Recovery r;
    try {
      if (from == null) {
        r = new History.Recovery(false, history.position(s.channel), List.of());
      } else {
        r = history.recover(s.channel, from.offset(), from.epoch(), historySize);
      }
    } catch (Exception e) {
      log.warn("cannot read the history of {}: {}", s.channel, e.toString());
      Span.current().recordException(e);
      c.subscriptions.remove(s.channel, s);
      leave(s);
      c.error(null, "unavailable", "the channel's history cannot be read now; try again");
      return null;
    }
    History.Recovery recovery = r;
    delivery.execute(
        () -> {
          Map<String, Object> body = reply.reply(recovery.position());
          if (from != null) {
            body.put("recovered", recovery.recovered());
          }
          c.offer(Frames.reply(body));
          if (recovery.recovered()) {
            for (ByteBuffer frame : Streams.merge(recovery.events())) {
              c.offer(frame);
            }
          }
          s.go(recovery.position().offset(), recovery.position().epoch());
        });
    return recovery;
  }

  /** Ends {@code s}: no more events, nothing awaited, one fewer in the presence. */
  void leave(Subscription s) {
    delivery.remove(s);
    s.forget();
    String user = s.connection.userId();
    if (user != null) {
      presence.left(s.channel, user);
    }
  }

  /**
   * Connections per user on {@code channel}: this instance's, with the other instances' when the
   * presence can tell (else this instance's alone).
   */
  Map<String, Integer> users(String channel) {
    Map<String, Integer> users = new TreeMap<>();
    Set<Subscription> members = delivery.members(channel);
    if (members != null) {
      for (Subscription s : members) {
        String user = s.connection.userId();
        if (user != null) {
          users.merge(user, 1, Integer::sum);
        }
      }
    }
    try {
      return presence.users(channel, users);
    } catch (Exception e) {
      log.warn("cannot read the presence of {}: {}", channel, e.toString());
      return users;
    }
  }
}
