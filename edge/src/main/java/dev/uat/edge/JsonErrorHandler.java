package dev.uat.edge;

import dev.uat.web.Json;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own refusals — a request line, URL or header block it will not parse (a raw space or
 * control character, an illegal escape in the path, a URL or headers past its buffer) — answered in
 * the platform's JSON error shape instead of Jetty's HTML page, and counted ({@code
 * malformed_request}, or {@code url_too_long} for 414). These never reach a route, so they carry no
 * trace id. No stack trace is written, to the client or the log. Thread-safe (stateless).
 */
final class JsonErrorHandler extends ErrorHandler {
  private final EdgeMetrics metrics;

  JsonErrorHandler(EdgeMetrics metrics) {
    this.metrics = metrics;
    setShowStacks(false);
    setShowCauses(false);
  }

  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    count(status);
    fields.put(HttpHeader.CONTENT_TYPE, "application/json");
    return ByteBuffer.wrap(body(status));
  }

  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int code,
      String message,
      Throwable cause,
      Callback callback) {
    count(code);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, ByteBuffer.wrap(body(code)), callback);
  }

  private void count(int status) {
    if (status == 414) {
      metrics.refused(EdgeMetrics.URL_TOO_LONG);
    } else if (status == 400 || status == 431) {
      metrics.refused(EdgeMetrics.MALFORMED_REQUEST);
    }
  }

  static byte[] body(int status) {
    String code;
    String message;
    switch (status) {
      case 400 -> {
        code = "malformed_request";
        message = "the request line, URL or headers are malformed and cannot be forwarded";
      }
      case 414 -> {
        code = "url_too_long";
        message = "the URL is longer than the edge accepts";
      }
      case 404 -> {
        code = "not_found";
        message = "no such route";
      }
      case 431 -> {
        code = "headers_too_large";
        message = "the request headers are larger than the edge accepts";
      }
      default -> {
        code = status >= 500 ? "internal_error" : "invalid_request";
        message = status >= 500 ? "internal error" : "the request cannot be served";
      }
    }
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", code);
    error.put("message", message);
    error.put(
        "type",
        status >= 500
            ? "server_error"
            : status == 403 ? "permission_error" : "invalid_request_error");
    return Json.write(Map.of("error", error));
  }
}
