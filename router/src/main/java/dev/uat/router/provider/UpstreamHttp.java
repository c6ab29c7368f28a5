package dev.uat.router.provider;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.router.provider.ProviderException.Kind;
import dev.uat.web.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * JSON over HTTP to one upstream, with every failure turned into a {@link ProviderException} that
 * names the provider and says what happened.
 */
final class UpstreamHttp {
  private static final int MAX_UPSTREAM_MESSAGE = 300;

  private final String provider;
  private final URI base;
  private final HttpClient client;
  private final String authorization; // null for none

  UpstreamHttp(String provider, URI base, HttpClient client, String bearerToken) {
    this.provider = requireNonNull(provider, "provider");
    this.base = requireNonNull(base, "base");
    this.client = requireNonNull(client, "client");
    this.authorization =
        bearerToken == null || bearerToken.isBlank() ? null : "Bearer " + bearerToken;
  }

  URI base() {
    return base;
  }

  /** The base URL without trailing slashes; only http and https. */
  static URI baseUri(String url) {
    String trimmed = url.strip();
    while (trimmed.endsWith("/")) {
      trimmed = trimmed.substring(0, trimmed.length() - 1);
    }
    URI uri = URI.create(trimmed);
    if (uri.getHost() == null
        || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
      throw new IllegalArgumentException("not an http(s) URL: " + url);
    }
    return uri;
  }

  <T> T get(String path, Duration timeout, Class<T> type) {
    return send(request(path, timeout).GET().build(), type, false);
  }

  <T> T post(String path, Object body, Duration timeout, Class<T> type) {
    HttpRequest request =
        request(path, timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(Json.write(body)))
            .build();
    return send(request, type, true);
  }

  private HttpRequest.Builder request(String path, Duration timeout) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(timeout)
            .header("Accept", "application/json");
    if (authorization != null) {
      builder.header("Authorization", authorization);
    }
    return builder;
  }

  private <T> T send(HttpRequest request, Class<T> type, boolean modelCall) {
    String what = request.method() + " " + request.uri().getPath();
    HttpResponse<byte[]> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpConnectTimeoutException e) {
      throw fail(Kind.UNAVAILABLE, "timeout", "could not connect (timed out)", e);
    } catch (HttpTimeoutException e) {
      throw fail(
          Kind.TIMEOUT,
          "timeout",
          "did not answer " + what + " within " + seconds(request.timeout().orElseThrow()),
          e);
    } catch (ConnectException e) {
      throw fail(
          Kind.UNAVAILABLE, e.getClass().getName(), "is not reachable (" + reason(e) + ")", e);
    } catch (IOException e) {
      throw fail(
          Kind.FAILED, e.getClass().getName(), "broke off " + what + " (" + reason(e) + ")", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw fail(Kind.FAILED, e.getClass().getName(), "call was interrupted", e);
    }
    int status = response.statusCode();
    if (status / 100 != 2) {
      Kind kind =
          switch (status) {
            case 404 -> modelCall ? Kind.MODEL_NOT_FOUND : Kind.FAILED;
            case 400, 413, 422 -> Kind.REJECTED;
            default -> Kind.FAILED;
          };
      throw fail(
          kind,
          Integer.toString(status),
          "answered " + what + " with HTTP " + status + upstreamMessage(response.body()),
          null);
    }
    try {
      return Json.MAPPER.readValue(response.body(), type);
    } catch (JsonProcessingException e) {
      throw fail(Kind.FAILED, "invalid_response", "answered " + what + " with unreadable JSON", e);
    } catch (IOException e) {
      throw fail(Kind.FAILED, e.getClass().getName(), "answered unreadably", e);
    }
  }

  /** A failure worded "<provider> at <base> <what happened>". */
  ProviderException fail(Kind kind, String errorType, String happened, Throwable cause) {
    return new ProviderException(
        kind, provider, errorType, provider + " at " + base + " " + happened, cause);
  }

  /** ": <the upstream's own error message>", from Ollama's or OpenAI's error shape, or text. */
  static String upstreamMessage(byte[] body) {
    if (body == null || body.length == 0) {
      return "";
    }
    String message;
    try {
      JsonNode json = Json.MAPPER.readTree(body);
      JsonNode error = json == null ? null : json.get("error");
      if (error != null && error.isTextual()) {
        message = error.asText(); // Ollama: {"error":"..."}
      } else if (error != null && error.path("message").isTextual()) {
        message = error.path("message").asText(); // OpenAI: {"error":{"message":...}}
      } else {
        message = new String(body, StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      message = new String(body, StandardCharsets.UTF_8);
    }
    message = message.strip().replaceAll("\\s+", " ");
    if (message.length() > MAX_UPSTREAM_MESSAGE) {
      message = message.substring(0, MAX_UPSTREAM_MESSAGE) + "…";
    }
    return message.isEmpty() ? "" : ": " + message;
  }

  /** The most specific message in a cause chain; JDK connect errors often have none on top. */
  static String reason(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage();
      }
    }
    return e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName();
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
