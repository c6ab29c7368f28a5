package dev.uat.observatory.ui;

import static java.util.Objects.requireNonNull;

import dev.uat.observatory.model.AttributeNames;
import dev.uat.web.HttpError;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The DNS rebinding defence of the query port while it listens on loopback: a request whose {@code
 * Host} header names anything but {@code localhost}, {@code 127.0.0.1}, {@code [::1]} (any port) or
 * one of the configured extra host names gets 403 with the JSON error body (code {@code
 * host_not_allowed}) and is counted in {@code uat.observatory.query.refused{reason="host"}}. A web
 * page on another site that makes its own name resolve to 127.0.0.1 still sends its own name as
 * {@code Host}, so it cannot read the traces. {@code /health/*} stays open; a request without a
 * {@code Host} header (HTTP/1.0, not a browser) passes.
 *
 * <p>Thread-safe.
 */
public final class HostCheck {
  private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "::1");

  private final Set<String> allowed;
  private final LongCounter refused;
  private final Attributes reason = Attributes.of(AttributeNames.REASON, "host");

  /**
   * @param extraHosts host names accepted besides the loopback names, without port
   */
  public HostCheck(List<String> extraHosts, Meter meter) {
    requireNonNull(extraHosts, "extraHosts");
    requireNonNull(meter, "meter");
    this.allowed =
        Set.copyOf(
            extraHosts.stream()
                .map(h -> normalize(h.startsWith("[") ? h.substring(1, h.length() - 1) : h))
                .toList());
    this.refused =
        meter
            .counterBuilder("uat.observatory.query.refused")
            .setUnit("{request}")
            .setDescription("Requests to the query port refused, by reason (host: Host header)")
            .build();
  }

  public void register(JavalinConfig cfg) {
    cfg.routes.before(this::check);
  }

  private void check(Context ctx) {
    if (ctx.path().startsWith("/health/")) {
      return;
    }
    String host = ctx.header("Host");
    if (host == null || allows(host)) {
      return;
    }
    refused.add(1, reason);
    throw new HttpError(
        403,
        "host_not_allowed",
        "the observatory answers requests for localhost, 127.0.0.1 and [::1] only (and the names"
            + " in observatory-allowed-hosts)");
  }

  /** Whether a {@code Host} header value (name or address, optional port) is accepted. */
  boolean allows(String hostHeader) {
    String name = hostName(hostHeader.trim());
    return name != null && (LOOPBACK.contains(name) || allowed.contains(name));
  }

  /** The name in a {@code Host} value without its port and brackets; null when malformed. */
  static String hostName(String value) {
    String name;
    if (value.startsWith("[")) {
      int end = value.indexOf(']');
      if (end < 0) {
        return null;
      }
      String rest = value.substring(end + 1);
      if (!rest.isEmpty() && !isPort(rest)) {
        return null;
      }
      name = value.substring(1, end);
    } else {
      int colon = value.indexOf(':');
      if (colon >= 0) {
        if (!isPort(value.substring(colon))) {
          return null;
        }
        name = value.substring(0, colon);
      } else {
        name = value;
      }
    }
    return normalize(name);
  }

  private static boolean isPort(String colonPort) {
    if (colonPort.length() < 2 || colonPort.length() > 6 || colonPort.charAt(0) != ':') {
      return false;
    }
    for (int i = 1; i < colonPort.length(); i++) {
      if (!Character.isDigit(colonPort.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static String normalize(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
  }
}
