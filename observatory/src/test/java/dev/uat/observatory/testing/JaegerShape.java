package dev.uat.observatory.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** The Jaeger API's JSON shapes, as the Jaeger UI and Grafana read them. */
public final class JaegerShape {
  /** The fields of a span, in Jaeger's order. */
  public static final List<String> SPAN_FIELDS =
      List.of(
          "traceID",
          "spanID",
          "flags",
          "operationName",
          "references",
          "startTime",
          "duration",
          "tags",
          "logs",
          "processID",
          "warnings");

  private JaegerShape() {}

  /** The field names of {@code node}, in order. */
  public static List<String> fields(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
