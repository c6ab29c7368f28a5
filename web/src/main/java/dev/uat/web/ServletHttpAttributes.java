package dev.uat.web;

import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesGetter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a servlet request and response say for the HTTP server conventions, and the request headers
 * for context extraction.
 *
 * <ul>
 *   <li>{@code client.address} is the address {@link HttpServerTracing} resolved through the
 *       service's {@link Exposure}: {@code X-Forwarded-For} counts only from a trusted proxy.
 *   <li>The forwarding headers ({@code Forwarded}, {@code X-Forwarded-*}) are not shown to the
 *       conventions, which would believe them from anyone: {@code server.address} and {@code
 *       url.scheme} come from the request itself, as Jetty sees it.
 *   <li>{@code url.query} is not recorded: a query may carry a credential (a WebSocket token).
 *   <li>An exception that escaped the filter counts as status 500.
 * </ul>
 */
enum ServletHttpAttributes
    implements
        HttpServerAttributesGetter<HttpServletRequest, HttpServletResponse>,
        TextMapGetter<HttpServletRequest> {
  INSTANCE;

  private static final Set<String> FORWARDING_HEADERS =
      Set.of("forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto");

  @Override
  public String getHttpRequestMethod(HttpServletRequest request) {
    return request.getMethod();
  }

  @Override
  public List<String> getHttpRequestHeader(HttpServletRequest request, String name) {
    if (FORWARDING_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
      return List.of();
    }
    return Collections.list(request.getHeaders(name));
  }

  @Override
  public Integer getHttpResponseStatusCode(
      HttpServletRequest request, HttpServletResponse response, Throwable error) {
    return error != null ? 500 : response.getStatus();
  }

  @Override
  public List<String> getHttpResponseHeader(
      HttpServletRequest request, HttpServletResponse response, String name) {
    return List.copyOf(response.getHeaders(name));
  }

  @Override
  public String getUrlScheme(HttpServletRequest request) {
    return request.getScheme();
  }

  @Override
  public String getUrlPath(HttpServletRequest request) {
    return request.getRequestURI();
  }

  @Override
  public String getUrlQuery(HttpServletRequest request) {
    return null;
  }

  @Override
  public String getClientAddress(HttpServletRequest request) {
    return request.getAttribute(HttpServerTracing.CLIENT_ADDRESS_ATTRIBUTE) instanceof String s
        ? s
        : request.getRemoteAddr();
  }

  @Override
  public String getNetworkPeerAddress(HttpServletRequest request, HttpServletResponse response) {
    return request.getRemoteAddr();
  }

  @Override
  public String getNetworkProtocolName(HttpServletRequest request, HttpServletResponse response) {
    String protocol = request.getProtocol();
    int slash = protocol == null ? -1 : protocol.indexOf('/');
    return slash < 0 ? null : protocol.substring(0, slash);
  }

  @Override
  public String getNetworkProtocolVersion(
      HttpServletRequest request, HttpServletResponse response) {
    String protocol = request.getProtocol();
    if (protocol == null) {
      return null;
    }
    int slash = protocol.indexOf('/');
    return slash < 0 ? protocol : protocol.substring(slash + 1);
  }

  @Override
  public Iterable<String> keys(HttpServletRequest carrier) {
    return Collections.list(carrier.getHeaderNames());
  }

  @Override
  public String get(HttpServletRequest carrier, String key) {
    return carrier == null ? null : carrier.getHeader(key);
  }
}
