package dev.uat.realtime;

import static java.util.Objects.requireNonNull;

import dev.uat.events.Event;

/**
 * An event with its place in its channel's history: {@code offset} counts the channel's events from
 * 1 within one {@code epoch}; a new epoch (history lost or expired) starts again. Clients keep the
 * last offset and epoch they saw and give them back to recover what they missed.
 */
record Publication(Event event, long offset, String epoch) {
  Publication {
    requireNonNull(event, "event");
    requireNonNull(epoch, "epoch");
  }

  String channel() {
    return event.channel();
  }
}
