package dev.uat.auth;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.web.Json;
import dev.uat.web.Urls;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link CredentialBackend} that asks the api: {@code GET /api/auth/introspect} with the
 * credential itself as the bearer, so no component needs a credential of its own. 200 describes a
 * live credential; 401 or 403 means not live; anything else, or no answer within {@link #TIMEOUT},
 * is {@link CredentialsUnavailableException}. Thread-safe.
 */
public final class RemoteCredentialBackend implements CredentialBackend {
  public static final String PATH = "/api/auth/introspect";
  public static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** Largest introspection answer read. */
  static final int MAX_ANSWER_BYTES = 16 * 1024;

  private final URI endpoint;
  private final HttpClient http;

  /**
   * @param apiUrl the api's base URL, e.g. {@code http://127.0.0.1:9999}
   * @param http the client to ask with (a traced one, so the check shows in traces)
   */
  public RemoteCredentialBackend(String apiUrl, HttpClient http) {
    requireNonNull(apiUrl, "apiUrl");
    this.endpoint = URI.create(Urls.stripSlash(apiUrl) + PATH);
    this.http = requireNonNull(http, "http");
  }

  @Override
  public Optional<Principal> apiKey(String secret) throws CredentialsUnavailableException {
    JsonNode answer = ask(secret);
    if (answer == null) {
      return Optional.empty();
    }
    Set<String> scopes = new LinkedHashSet<>();
    answer.path("scopes").forEach(s -> scopes.add(s.asText()));
    String keyId = answer.path("key_id").asText("");
    String userId = answer.path("user_id").asText("");
    if (keyId.isEmpty() || userId.isEmpty()) {
      throw new CredentialsUnavailableException(
          "the api's introspection answer is incomplete", null);
    }
    JsonNode exp = answer.path("expires_at");
    Instant expiresAt = exp.isNumber() ? Instant.ofEpochSecond(exp.asLong()) : Instant.MAX;
    return Optional.of(Principal.apiKey(keyId, userId, scopes, expiresAt));
  }

  @Override
  public boolean sessionActive(Principal principal, String accessToken)
      throws CredentialsUnavailableException {
    return ask(accessToken) != null;
  }

  /** The api's description of a live credential, or null when it is not live. */
  private JsonNode ask(String credential) throws CredentialsUnavailableException {
    HttpRequest request =
        HttpRequest.newBuilder(endpoint)
            .timeout(TIMEOUT)
            .header("Authorization", "Bearer " + credential)
            .header("Accept", "application/json")
            .GET()
            .build();
    try {
      HttpResponse<InputStream> response =
          http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream body = response.body()) {
        int status = response.statusCode();
        if (status == 401 || status == 403) {
          return null;
        }
        if (status != 200) {
          throw new CredentialsUnavailableException("the api answered " + status, null);
        }
        byte[] bytes = body.readNBytes(MAX_ANSWER_BYTES + 1);
        if (bytes.length > MAX_ANSWER_BYTES) {
          throw new CredentialsUnavailableException("the api's answer is too large", null);
        }
        JsonNode json = Json.MAPPER.readTree(bytes);
        return json.path("active").asBoolean(false) ? json : null;
      }
    } catch (IOException e) {
      throw new CredentialsUnavailableException("the api cannot be reached: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CredentialsUnavailableException("interrupted", e);
    }
  }

  @Override
  public String toString() {
    return "RemoteCredentialBackend{" + endpoint + "}";
  }
}
