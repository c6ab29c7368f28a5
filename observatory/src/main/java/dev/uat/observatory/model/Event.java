package dev.uat.observatory.model;

import static java.util.Objects.requireNonNull;

/**
 * Something that happened during a span (OTLP {@code Span.Event}), e.g. an exception.
 *
 * @param epochNanos when, in nanoseconds since the Unix epoch
 */
public record Event(
    long epochNanos, String name, Attributes attributes, int droppedAttributesCount) {
  public Event {
    requireNonNull(name, "name");
    requireNonNull(attributes, "attributes");
  }
}
