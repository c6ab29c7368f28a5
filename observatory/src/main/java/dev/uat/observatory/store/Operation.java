package dev.uat.observatory.store;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.model.SpanKind;

/** A span name a service used, with the kind of the spans that carried it. */
public record Operation(String name, SpanKind kind) {
  public Operation {
    requireNonNull(name, "name");
    requireNonNull(kind, "kind");
  }
}
