package dev.uat.edge;

import dev.uat.telemetry.Telemetry;
import dev.uat.web.HttpError;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;

/**
 * The edge's refusals: {@code uat.edge.requests.refused} (Prometheus {@code
 * uat_edge_requests_refused_total}), one count per refused request or closed relay, labelled {@code
 * uat.edge.reason} (see edge/RATIONALE.md for the reasons). Thread-safe.
 */
final class EdgeMetrics {
  static final AttributeKey<String> REASON = AttributeKey.stringKey("uat.edge.reason");

  /** A path or query the edge cannot forward (bad escape, NUL, control, dot segment): 400. */
  static final String INVALID_URL = "invalid_url";

  /** Path and query longer than {@link ForwardTarget#MAX_TARGET_BYTES}: 414. */
  static final String URL_TOO_LONG = "url_too_long";

  /** A request Jetty refused before any route ran (bad request line, headers too large): 4xx. */
  static final String MALFORMED_REQUEST = "malformed_request";

  /** A body over the limit, counted after decompression: 413. */
  static final String BODY_TOO_LARGE = "body_too_large";

  /** A {@code Content-Encoding} other than gzip, deflate or identity: 415. */
  static final String UNSUPPORTED_ENCODING = "unsupported_encoding";

  /** A compressed body that does not decompress: 400. */
  static final String INVALID_BODY_ENCODING = "invalid_body_encoding";

  /** A body that ended before its declared length, or a client that went away: 400. */
  static final String INCOMPLETE_BODY = "incomplete_body";

  /** The in-flight body budget is spent: 503 with {@code Retry-After}. */
  static final String IN_FLIGHT_BUDGET = "in_flight_budget";

  /** A WebSocket whose frames waiting for realtime passed the per-connection cap: closed 1008. */
  static final String WS_BACKLOG = "ws_backlog";

  /** Realtime refused a WebSocket upgrade (its per-address cap: 429); the client gets 4030. */
  static final String WS_REFUSED = "ws_refused";

  private final LongCounter refused;

  EdgeMetrics(Telemetry telemetry) {
    this.refused =
        telemetry
            .meter()
            .counterBuilder("uat.edge.requests.refused")
            .setUnit("{request}")
            .setDescription("Requests and WebSocket relays the edge refused, by reason.")
            .build();
  }

  void refused(String reason) {
    refused.add(1, Attributes.of(REASON, reason));
  }

  /** Counts the refusal and hands back the error to throw. */
  HttpError refuse(String reason, HttpError error) {
    refused(reason);
    return error;
  }
}
