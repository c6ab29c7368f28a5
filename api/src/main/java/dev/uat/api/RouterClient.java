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
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Calls the LLM router's OpenAI-compatible {@code /v1/chat/completions} over traced HTTP (the
 * component's pooled {@link TracedHttpClient}), blocking the calling thread: in streaming mode each
 * content chunk is handed to a listener as it arrives and the whole answer is returned at the end;
 * {@link #complete} asks for the answer in one piece. Router errors come back as {@link HttpError}s
 * that keep the router's code and message: a client error stays a 4xx, a router or provider failure
 * is a 502, an unreachable router a 503.
 */
final class RouterClient {
  /** The most an answer may hold (characters) before the stream is cut. */
  static final int MAX_ANSWER_CHARS = 1_000_000;

  /** The most a whole (non-streamed) answer may hold, in bytes, before it is refused. */
  static final int MAX_ANSWER_BYTES = 4 * MAX_ANSWER_CHARS;

  record Turn(String role, String content) {}

  record Completion(
      String content, String model, String finishReason, int inputTokens, int outputTokens) {}

  /** Receives the answer's text as the model writes it. */
  @FunctionalInterface
  interface Listener {
    void delta(String text, int index);
  }

  private static final MediaType JSON = MediaType.get("application/json");

  private final Call.Factory http;
  private final HttpUrl endpoint;
  private final Duration timeout;

  RouterClient(Telemetry telemetry, String routerUrl, Duration timeout) {
    this.http = TracedHttpClient.create(telemetry);
    this.endpoint = HttpUrl.get(Urls.stripSlash(routerUrl) + "/v1/chat/completions");
    this.timeout = timeout;
  }

  /**
   * Streams an answer; blocks until the router finishes. The router must start answering within the
   * timeout; the stream itself has no deadline here (the router enforces its own).
   */
  Completion stream(String model, List<Turn> turns, String authorization, Listener listener) {
    Map<String, Object> body = body(model, turns);
    body.put("stream", true);
    body.put("stream_options", Map.of("include_usage", true));
    try (Response response = send(body, authorization, "text/event-stream");
        InputStream in = response.body().byteStream()) {
      if (response.code() != 200) {
        throw routerError(response.code(), in.readNBytes(64 * 1024));
      }
      return read(in, model, listener);
    } catch (IOException e) {
      throw HttpError.badGateway(
          "stream_interrupted",
          "the answer stream from the LLM router broke off: " + e.getMessage());
    }
  }

  /**
   * Asks for the whole answer at once ({@code "stream": false}); blocks until the router answers,
   * at most the timeout. Errors as {@link #stream}: 504 {@code router_timeout}, 503 {@code
   * router_unavailable}, 502 {@code router_error}, the router's own 4xx kept.
   */
  Completion complete(String model, List<Turn> turns, String authorization) {
    Map<String, Object> body = body(model, turns);
    body.put("stream", false);
    try (Response response = send(body, authorization, "application/json");
        InputStream in = response.body().byteStream()) {
      byte[] bytes = in.readNBytes(MAX_ANSWER_BYTES + 1);
      if (response.code() != 200) {
        throw routerError(response.code(), bytes);
      }
      if (bytes.length > MAX_ANSWER_BYTES) {
        throw HttpError.badGateway(
            "answer_too_long", "the answer exceeded " + MAX_ANSWER_BYTES + " bytes");
      }
      return completion(Json.MAPPER.readTree(bytes), model);
    } catch (IOException e) {
      throw HttpError.badGateway(
          "router_error", "the answer from the LLM router was unreadable: " + e.getMessage());
    }
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

  /** Posts and returns once the response headers came; the caller closes the response. */
  private Response send(Map<String, Object> body, String authorization, String accept) {
    Request.Builder request =
        new Request.Builder()
            .url(endpoint)
            .header("Accept", accept)
            .post(RequestBody.create(Json.write(body), JSON));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    try {
      return TracedHttpClient.execute(http.newCall(request.build()), timeout);
    } catch (TracedHttpClient.ResponseTimeoutException | SocketTimeoutException e) {
      throw new HttpError(
          504,
          "router_timeout",
          "the LLM router did not answer within " + timeout.toSeconds() + " s");
    } catch (ConnectException e) {
      throw HttpError.unavailable(
          "router_unavailable", "the LLM router is not reachable at " + authority());
    } catch (IOException e) {
      throw HttpError.badGateway(
          "router_error", "the call to the LLM router failed: " + e.getMessage());
    }
  }

  private String authority() {
    return endpoint.host() + ":" + endpoint.port();
  }

  /** A non-streamed OpenAI chat completion, read like the stream's chunks. */
  private static Completion completion(JsonNode json, String model) {
    if (json.has("error")) {
      throw new HttpError(
          502,
          json.at("/error/code").asText("upstream_error"),
          json.at("/error/message").asText("the model failed while answering"));
    }
    JsonNode choice = json.path("choices").path(0);
    if (!choice.path("message").isObject()) {
      throw HttpError.badGateway(
          "router_error",
          "the LLM router's answer is not a chat completion (no choices[0].message)");
    }
    JsonNode content = choice.path("message").path("content");
    JsonNode usage = json.path("usage");
    return new Completion(
        content.isTextual() ? content.asText() : "",
        json.hasNonNull("model") ? json.get("model").asText() : model,
        choice.hasNonNull("finish_reason") ? choice.get("finish_reason").asText() : null,
        usage.path("prompt_tokens").asInt(0),
        usage.path("completion_tokens").asInt(0));
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
