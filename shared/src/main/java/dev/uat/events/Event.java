package dev.uat.events;

import static java.util.Objects.requireNonNull;

/**
 * Something that happened, addressed to a realtime channel.
 *
 * @param channel e.g. {@code conversation:42} or {@code user:7}
 * @param event e.g. {@code message.created}
 * @param data the payload, serializable as JSON
 * @param traceparent W3C trace context of the PRODUCER span that published it, or null
 * @param timestampMillis when it was published
 */
public record Event(
    String channel, String event, Object data, String traceparent, long timestampMillis) {
  public Event {
    requireNonNull(channel, "channel");
    requireNonNull(event, "event");
    requireNonNull(data, "data");
  }

  /**
   * The channel with its id replaced by a placeholder ({@code conversation:{id}}): low-cardinality,
   * for span names and metric labels.
   */
  public static String template(String channel) {
    int colon = channel.indexOf(':');
    return colon < 0 ? channel : channel.substring(0, colon) + ":{id}";
  }
}
