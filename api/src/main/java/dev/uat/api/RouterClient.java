package dev.uat.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TracedHttpClient;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calls the LLM router's OpenAI-compatible {@code /v1/chat/completions} over traced HTTP. Router
 * errors come back as {@link HttpError}s that keep the router's code and message: a client errors
 * stays a 4xx, a router or provider failure is a 502, an unreachable router a 503.
 */
final class RouterClient {
  record Turn(String role, String content) {}

  record Completion(
      String content, String model, String finishReason, int inputTokens, int outputTokens) {}

  private final HttpClient http;
  private final URI endpoint;
  private final Duration timeout;

  RouterClient(Telemetry telemetry, String routerUrl, Duration timeout) {
    this.http = TracedHttpClient.create(telemetry);
    this.endpoint = URI.create(stripSlash(routerUrl) + "/v1/chat/completions");
    this.timeout = timeout;
  }

  Completion complete(String model, List<Turn> turns, String authorization) {
    Map<String, Object> body = new LinkedHashMap<>();
    if (model != null) {
      body.put("model", model);
    }
    List<Map<String, String>> messages = new ArrayList<>(turns.size());
    for (Turn t : turns) {
      messages.add(Map.of("role", t.role(), "content", t.content()));
    }
    body.put("messages", messages);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(endpoint)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(Json.write(body)));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    HttpResponse<byte[]> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpTimeoutException e) {
      throw new HttpError(
          504,
          "router_timeout",
          "the LLM router did not answer within " + timeout.toSeconds() + " s");
    } catch (ConnectException e) {
      throw HttpError.unavailable(
          "router_unavailable", "the LLM router is not reachable at " + endpoint.getAuthority());
    } catch (IOException e) {
      throw HttpError.badGateway(
          "router_error", "the call to the LLM router failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw HttpError.unavailable("interrupted", "the request was interrupted");
    }
    JsonNode json = parse(response.body());
    if (response.statusCode() != 200) {
      JsonNode error = json == null ? null : json.path("error");
      String code = error == null ? "router_error" : error.path("code").asText("router_error");
      String message =
          error == null
              ? "the LLM router answered " + response.statusCode()
              : error.path("message").asText("the LLM router answered " + response.statusCode());
      int status = response.statusCode();
      if (status >= 500 || status < 400) {
        throw new HttpError(status == 504 ? 504 : 502, code, message);
      }
      throw new HttpError(status, code, message);
    }
    JsonNode choice = json == null ? null : json.path("choices").path(0);
    if (choice == null || !choice.path("message").path("content").isTextual()) {
      throw HttpError.badGateway("router_error", "the LLM router answered without a message");
    }
    JsonNode usage = json.path("usage");
    return new Completion(
        choice.path("message").path("content").asText(),
        json.path("model").asText(model),
        choice.path("finish_reason").asText(null),
        usage.path("prompt_tokens").asInt(0),
        usage.path("completion_tokens").asInt(0));
  }

  private static JsonNode parse(byte[] body) {
    try {
      return body.length == 0 ? null : Json.MAPPER.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
