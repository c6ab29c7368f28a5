package dev.uat.edge;

import dev.uat.web.HttpError;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;

/**
 * Turns the path and query a client sent into the request target the edge sends upstream. What is
 * well formed passes unchanged; characters that HTTP clients send raw but a URI may not hold
 * ({@code |}, {@code {}}, {@code ^}, {@code "}, non-ASCII …) are percent-encoded (as UTF-8); what
 * cannot be forwarded faithfully is refused with a 4xx:
 *
 * <ul>
 *   <li>a {@code %} that does not start a {@code %XX} escape, an encoded NUL ({@code %00}), a raw
 *       control character: 400 {@code invalid_url};
 *   <li>a dot segment ({@code .} or {@code ..}, raw or encoded, also as {@code ..;param}): 400
 *       {@code invalid_url}, so the component sees the path the edge routed on, never one that
 *       resolves elsewhere (e.g. {@code /api/../metrics});
 *   <li>more than {@link #MAX_TARGET_BYTES} once encoded: 414 {@code url_too_long}.
 * </ul>
 *
 * Stateless and thread-safe; every refusal is counted in {@link EdgeMetrics}.
 */
final class ForwardTarget {
  /**
   * Longest path plus query forwarded, once encoded: 8 KiB, what the components' own HTTP servers
   * accept in a request line (Jetty's default header buffer is 8 KiB).
   */
  static final int MAX_TARGET_BYTES = 8 * 1024;

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private final EdgeMetrics metrics;

  ForwardTarget(EdgeMetrics metrics) {
    this.metrics = metrics;
  }

  /**
   * The target to send upstream: {@code path} and, when not null, {@code "?" + query}.
   *
   * @param path the raw (still encoded) path as the client sent it
   * @param query the raw query, or null
   * @throws HttpError 400 or 414, counted
   */
  String target(String path, String query) {
    String p = encode(path, false);
    checkSegments(p);
    String q = query == null ? null : encode(query, true);
    int length = p.length() + (q == null ? 0 : q.length() + 1);
    if (length > MAX_TARGET_BYTES) {
      throw metrics.refuse(
          EdgeMetrics.URL_TOO_LONG,
          new HttpError(
              414,
              "url_too_long",
              "the path and query are longer than " + MAX_TARGET_BYTES + " bytes once encoded"));
    }
    return q == null ? p : p + "?" + q;
  }

  /** The upstream URI: {@code base} and the {@link #target}. */
  URI uri(String base, String path, String query) {
    String target = target(path, query);
    try {
      return new URI(base + target);
    } catch (URISyntaxException e) { // not expected once encoded; still a 400, never a 500
      throw invalid("what a URI cannot hold");
    }
  }

  /**
   * The query of a WebSocket upgrade, or null when there is none. It must be forwardable as it is:
   * the server's own handshake parses the request URI and fails on what needs encoding, so such a
   * query is refused (400 {@code invalid_url}) rather than re-encoded.
   */
  String webSocketQuery(String query) {
    if (query == null) {
      return null;
    }
    if (query.length() > MAX_TARGET_BYTES) {
      throw metrics.refuse(
          EdgeMetrics.URL_TOO_LONG,
          new HttpError(
              414, "url_too_long", "the query is longer than " + MAX_TARGET_BYTES + " bytes"));
    }
    if (!encode(query, true).equals(query)) {
      throw invalid("characters that must be percent-encoded");
    }
    return query;
  }

  private String encode(String s, boolean query) {
    StringBuilder out = null; // only when something changes: the common case allocates nothing
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= n || hex(s.charAt(i + 1)) < 0 || hex(s.charAt(i + 2)) < 0) {
          throw invalid("a '%' that does not start a %XX escape");
        }
        if (s.charAt(i + 1) == '0' && s.charAt(i + 2) == '0') {
          throw invalid("an encoded NUL (%00)");
        }
        if (out != null) {
          out.append(s, i, i + 3);
        }
        i += 2;
      } else if (c < 0x20 || c == 0x7f) {
        throw invalid("a control character");
      } else if (allowed(c, query)) {
        if (out != null) {
          out.append(c);
        }
      } else {
        if (out == null) {
          out = new StringBuilder(n + 16).append(s, 0, i);
        }
        int cp = s.codePointAt(i);
        if (Character.isSurrogate(c) && !Character.isSupplementaryCodePoint(cp)) {
          throw invalid("a character that is not valid UTF-16");
        }
        i += Character.charCount(cp) - 1;
        for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
          out.append('%').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
        }
      }
    }
    return out == null ? s : out.toString();
  }

  /** RFC 3986 {@code pchar} and {@code /}; a query may hold {@code ?} too. */
  private static boolean allowed(char c, boolean query) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      return true;
    }
    return switch (c) {
      case '-',
          '.',
          '_',
          '~',
          '!',
          '$',
          '&',
          '\'',
          '(',
          ')',
          '*',
          '+',
          ',',
          ';',
          '=',
          ':',
          '@',
          '/' ->
          true;
      case '?' -> query;
      default -> false;
    };
  }

  /** Refuses dot segments, raw or encoded, with or without {@code ;parameters}. */
  private void checkSegments(String path) {
    int start = 0;
    int n = path.length();
    while (start <= n) {
      int end = path.indexOf('/', start);
      if (end < 0) {
        end = n;
      }
      int semicolon = path.indexOf(';', start);
      int stop = semicolon >= 0 && semicolon < end ? semicolon : end;
      if (dotSegment(path, start, stop)) {
        throw invalid("a '.' or '..' path segment");
      }
      start = end + 1;
    }
  }

  /**
   * Whether {@code path[from, to)}, decoded, is or holds (between encoded slashes or backslashes) a
   * {@code .} or {@code ..} segment.
   */
  private static boolean dotSegment(String path, int from, int to) {
    int dots = 0;
    boolean other = false;
    for (int i = from; i < to; i++) {
      char c = path.charAt(i);
      if (c == '%' && i + 2 < to) { // escapes were checked: two hex digits follow
        c = (char) (hex(path.charAt(i + 1)) << 4 | hex(path.charAt(i + 2)));
        i += 2;
      }
      if (c == '/' || c == '\\') {
        if (!other && (dots == 1 || dots == 2)) {
          return true;
        }
        dots = 0;
        other = false;
      } else if (c == '.') {
        dots++;
      } else {
        other = true;
      }
    }
    return !other && (dots == 1 || dots == 2);
  }

  private static int hex(char c) {
    return Character.digit(c, 16) < 0 || c > 'f' ? -1 : Character.digit(c, 16);
  }

  private HttpError invalid(String what) {
    return metrics.refuse(
        EdgeMetrics.INVALID_URL,
        HttpError.badRequest(
            "invalid_url", "the path or query holds " + what + " and cannot be forwarded"));
  }
}
