package dev.uat.observatory.model;

import static java.util.Objects.requireNonNull;

/**
 * The library that recorded spans (OTLP {@code InstrumentationScope}), shared by the spans of one
 * scope in a batch.
 *
 * @param name empty when unknown
 * @param version empty when unknown
 */
public record InstrumentationScope(String name, String version, Attributes attributes) {
  private static final InstrumentationScope EMPTY =
      new InstrumentationScope("", "", Attributes.empty());

  public InstrumentationScope {
    requireNonNull(name, "name");
    requireNonNull(version, "version");
    requireNonNull(attributes, "attributes");
  }

  public static InstrumentationScope empty() {
    return EMPTY;
  }
}
