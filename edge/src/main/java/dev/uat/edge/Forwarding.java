package dev.uat.edge;

import dev.uat.web.Exposure;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The forwarding headers the edge sends upstream, believing a peer's own only when the {@link
 * Exposure} trusts it as a proxy:
 *
 * <ul>
 *   <li>{@code X-Forwarded-For}: from a trusted proxy, its header with the peer appended; from
 *       anyone else, the peer alone (what the client wrote is dropped);
 *   <li>{@code X-Forwarded-Proto}, {@code X-Forwarded-Host}: a trusted proxy's value, else the
 *       edge's own scheme and {@code Host};
 *   <li>{@code Forwarded}, {@code X-Forwarded-Port}, {@code X-Forwarded-Prefix}, {@code
 *       X-Forwarded-Server}, {@code X-Real-IP}: passed on from a trusted proxy, dropped otherwise.
 * </ul>
 *
 * Immutable and thread-safe.
 */
final class Forwarding {
  /** Every header this class decides about (lower case); the proxies copy none of them as is. */
  static final Set<String> HEADERS =
      Set.of(
          "x-forwarded-for",
          "x-forwarded-proto",
          "x-forwarded-host",
          "x-forwarded-port",
          "x-forwarded-prefix",
          "x-forwarded-server",
          "forwarded",
          "x-real-ip");

  private static final Set<String> PASSED_FROM_TRUSTED =
      Set.of(
          "forwarded", "x-forwarded-port", "x-forwarded-prefix", "x-forwarded-server", "x-real-ip");

  private final Exposure exposure;

  Forwarding(Exposure exposure) {
    this.exposure = exposure;
  }

  /** The headers to set on the upstream request, by name. */
  Map<String, String> headers(HttpServletRequest request) {
    String peer = unbracket(request.getRemoteAddr());
    boolean trusted = exposure.trusted(peer);
    Map<String, String> out = new LinkedHashMap<>();
    String prior = trusted ? joined(request, "X-Forwarded-For") : null;
    out.put("X-Forwarded-For", prior == null ? peer : prior + ", " + peer);
    String proto = trusted ? joined(request, "X-Forwarded-Proto") : null;
    out.put("X-Forwarded-Proto", proto == null ? request.getScheme() : proto);
    String host = trusted ? joined(request, "X-Forwarded-Host") : null;
    if (host == null) {
      host = request.getHeader("Host");
    }
    if (host != null) {
      out.put("X-Forwarded-Host", host);
    }
    if (trusted) {
      for (String name : Collections.list(request.getHeaderNames())) {
        if (PASSED_FROM_TRUSTED.contains(name.toLowerCase(Locale.ROOT))) {
          String value = joined(request, name);
          if (value != null) {
            out.put(name, value);
          }
        }
      }
    }
    return out;
  }

  /** A header's values joined with {@code ", "} (a list header sent on several lines), or null. */
  private static String joined(HttpServletRequest request, String name) {
    String joined = null;
    for (String value : Collections.list(request.getHeaders(name))) {
      if (!value.isBlank()) {
        joined = joined == null ? value.trim() : joined + ", " + value.trim();
      }
    }
    return joined;
  }

  /** {@code [::1]} as {@code ::1}: X-Forwarded-For holds bare addresses. */
  static String unbracket(String address) {
    return address != null && address.startsWith("[") && address.endsWith("]")
        ? address.substring(1, address.length() - 1)
        : address;
  }
}
