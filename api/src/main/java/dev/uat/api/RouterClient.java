package dev.uat.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TracedHttpClient;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import dev.uat.web.Sse;
import dev.uat.web.Urls;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calls the LLM router's OpenAI-compatible {@code /v1/chat/completions} over traced HTTP: in
 * streaming mode ({@link #stream}), each content chunk is handed to a listener as it arrives and
 * the whole answer is returned at the end; or in one piece ({@link #complete}). Router errors come
 * back as {@link HttpError}s that keep the router's code and message: a client error stays a 4xx, a
 * router or provider failure is a 502, an unreachable router a 503.
 */
final class RouterClient {
  /** The most an answer may hold (characters) before the stream is cut. */
  static final int MAX_ANSWER_CHARS = 1_000_000;

  record Turn(String role, String content) {}

  record Completion(
      String content, String model, String finishReason, int inputTokens, int outputTokens) {}

  /** Receives the answer's text as the model writes it. */
  @FunctionalInterface
  interface Listener {
    void delta(String text, int index);
  }

  private final HttpClient http;
  private final URI endpoint;
  private final Duration timeout;

  RouterClient(Telemetry telemetry, String routerUrl, Duration timeout) {
    this.http = TracedHttpClient.create(telemetry);
    this.endpoint = URI.create(Urls.stripSlash(routerUrl) + "/v1/chat/completions");
    this.timeout = timeout;
  }

  /** Streams an answer; blocks until the router finishes. */
  Completion stream(String model, List<Turn> turns, String authorization, Listener listener) {
    Map<String, Object> body = body(model, turns);
    body.put("stream", true);
    body.put("stream_options", Map.of("include_usage", true));
    HttpResponse<InputStream> response = post(body, "text/event-stream", authorization);
    try (InputStream in = response.body()) {
      if (response.statusCode() != 200) {
        throw routerError(response.statusCode(), in.readNBytes(64 * 1024));
      }
      return read(in, model, listener);
    } catch (IOException e) {
      throw HttpError.badGateway(
          "stream_interrupted",
          "the answer stream from the LLM router broke off: " + e.getMessage());
    }
  }

  /**
   * Bytes of a whole answer's JSON read at most: {@link #MAX_ANSWER_CHARS} characters each escaped
   * (six bytes: a backslash, {@code u}, four hex digits), and the envelope.
   */
  static final int MAX_ANSWER_BYTES = 6 * MAX_ANSWER_CHARS + 64 * 1024;

  /**
   * Asks for an answer in one piece ({@code "stream": false}); blocks until the router answers.
   * Errors as {@link #stream}.
   */
  Completion complete(String model, List<Turn> turns, String authorization) {
    Map<String, Object> body = body(model, turns);
    body.put("stream", false);
    HttpResponse<InputStream> response = post(body, "application/json", authorization);
    byte[] bytes;
    try (InputStream in = response.body()) {
      if (response.statusCode() != 200) {
        throw routerError(response.statusCode(), in.readNBytes(64 * 1024));
      }
      bytes = in.readNBytes(MAX_ANSWER_BYTES + 1);
    } catch (IOException e) {
      throw HttpError.badGateway(
          "router_error", "the answer from the LLM router broke off: " + e.getMessage());
    }
    if (bytes.length > MAX_ANSWER_BYTES) {
      throw HttpError.badGateway(
          "answer_too_long", "the answer exceeded " + MAX_ANSWER_CHARS + " characters");
    }
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw HttpError.badGateway("router_error", "the LLM router's answer is not JSON");
    }
    JsonNode choice = json == null ? null : json.path("choices").path(0);
    JsonNode content = choice == null ? null : choice.path("message").path("content");
    if (content == null || !(content.isTextual() || content.isNull())) {
      throw HttpError.badGateway("router_error", "the LLM router's answer has no message");
    }
    String text = content.asText("");
    if (text.length() > MAX_ANSWER_CHARS) {
      throw HttpError.badGateway(
          "answer_too_long", "the answer exceeded " + MAX_ANSWER_CHARS + " characters");
    }
    JsonNode usage = json.path("usage");
    return new Completion(
        text,
        json.hasNonNull("model") ? json.get("model").asText() : model,
        choice.hasNonNull("finish_reason") ? choice.get("finish_reason").asText() : null,
        usage.path("prompt_tokens").asInt(0),
        usage.path("completion_tokens").asInt(0));
  }

  private static Map<String, Object> body(String model, List<Turn> turns) {
    Map<String, Object> body = new LinkedHashMap<>();
    if (model != null) {
      body.put("model", model);
    }
    List<Map<String, String>> messages = new ArrayList<>(turns.size());
    for (Turn t : turns) {
      messages.add(Map.of("role", t.role(), "content", t.content()));
    }
    body.put("messages", messages);
    return body;
  }

  /** Sends {@code body}; the router's errors before an answer mapped to {@link HttpError}s. */
  private HttpResponse<InputStream> post(
      Map<String, Object> body, String accept, String authorization) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(endpoint)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("Accept", accept)
            .POST(HttpRequest.BodyPublishers.ofByteArray(Json.write(body)));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
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
  }

  private static Completion read(InputStream in, String model, Listener listener)
      throws IOException {
    BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    Sse.Reader events = new Sse.Reader(lines::readLine);
    StringBuilder content = new StringBuilder();
    String responseModel = model;
    String finish = null;
    int input = 0;
    int output = 0;
    int index = 0;
    boolean done = false;
    for (Sse.Event event; (event = events.next()) != null; ) {
      String data = event.data();
      if (data.strip().equals("[DONE]")) {
        done = true;
        break;
      }
      JsonNode chunk = Json.MAPPER.readTree(data);
      if (chunk.has("error")) {
        throw new HttpError(
            502,
            chunk.at("/error/code").asText("upstream_error"),
            chunk.at("/error/message").asText("the model failed while answering"));
      }
      if (chunk.hasNonNull("model")) {
        responseModel = chunk.get("model").asText();
      }
      JsonNode choice = chunk.path("choices").path(0);
      JsonNode delta = choice.path("delta").path("content");
      if (delta.isTextual() && !delta.asText().isEmpty()) {
        String text = delta.asText();
        if (content.length() + text.length() > MAX_ANSWER_CHARS) {
          throw HttpError.badGateway(
              "answer_too_long", "the answer exceeded " + MAX_ANSWER_CHARS + " characters");
        }
        content.append(text);
        listener.delta(text, index++);
      }
      if (choice.hasNonNull("finish_reason")) {
        finish = choice.get("finish_reason").asText();
      }
      JsonNode usage = chunk.path("usage");
      if (usage.isObject()) {
        input = usage.path("prompt_tokens").asInt(input);
        output = usage.path("completion_tokens").asInt(output);
      }
    }
    if (!done) {
      throw HttpError.badGateway(
          "stream_interrupted", "the answer stream from the LLM router ended early");
    }
    return new Completion(content.toString(), responseModel, finish, input, output);
  }

  private static HttpError routerError(int status, byte[] body) {
    JsonNode json;
    try {
      json = body.length == 0 ? null : Json.MAPPER.readTree(body);
    } catch (IOException e) {
      json = null;
    }
    JsonNode error = json == null ? null : json.path("error");
    String code = error == null ? "router_error" : error.path("code").asText("router_error");
    String message =
        error == null
            ? "the LLM router answered " + status
            : error.path("message").asText("the LLM router answered " + status);
    if (status >= 500 || status < 400) {
      return new HttpError(status == 504 || status == 503 ? status : 502, code, message);
    }
    return new HttpError(status, code, message);
  }
}
