package dev.uat.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.Principal;
import dev.uat.auth.TokenVerifier;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Who is calling: every {@code /v1} request carries {@code Authorization: Bearer <credential>},
 * either a platform access token (a JWT, checked by the shared {@link TokenVerifier}) or an API key
 * ({@code uat_sk_…}), which the api validates ({@code GET /api/keys/self}). Both must allow {@code
 * chat}. Key answers are cached by the key's SHA-256 (never the key itself): valid keys for {@link
 * #VALID_TTL}, unknown or revoked ones for {@link #INVALID_TTL}, at most {@link #MAX_KEYS}; an api
 * that cannot be asked is a 503, not a refusal, and is not cached.
 *
 * <p>Thread-safe.
 */
final class Authenticator {
  static final String KEY_PREFIX = "uat_sk_";
  static final Duration VALID_TTL = Duration.ofSeconds(60);
  static final Duration INVALID_TTL = Duration.ofSeconds(5);
  static final int MAX_KEYS = 10_000;
  static final Duration API_TIMEOUT = Duration.ofSeconds(5);
  static final String SCOPE = "chat";

  /** A cached answer of the api: a caller, or why the key is refused. */
  private record KeyAnswer(Caller caller, int status, String refusal) {}

  private final TokenVerifier verifier;
  private final URI selfEndpoint; // null: API keys are refused
  private final HttpClient http;
  private final Cache<String, KeyAnswer> keys =
      Caffeine.newBuilder()
          .maximumSize(MAX_KEYS)
          .expireAfter(
              Expiry.<String, KeyAnswer>creating(
                  (k, v) -> v.caller() != null ? VALID_TTL : INVALID_TTL))
          .build();

  Authenticator(TokenVerifier verifier, String apiUrl, HttpClient http) {
    this.verifier = verifier;
    this.selfEndpoint = apiUrl == null ? null : URI.create(stripSlash(apiUrl) + "/api/keys/self");
    this.http = http;
  }

  /**
   * The caller of a request.
   *
   * @throws HttpError 401 without valid credentials, 403 without the {@code chat} scope, 503 when
   *     the api cannot validate a key now
   */
  Caller authenticate(String authorization) {
    String credential = TokenVerifier.bearer(authorization);
    if (credential == null || credential.isBlank()) {
      throw HttpError.unauthorized(
          "send 'Authorization: Bearer <API key or access token>'; no credentials were given");
    }
    if (credential.startsWith(KEY_PREFIX)) {
      return apiKey(credential);
    }
    Principal p;
    try {
      p = verifier.verifyAccess(credential);
    } catch (InvalidTokenException e) {
      throw HttpError.unauthorized("the access token is not valid: " + e.getMessage());
    }
    if (!p.has(SCOPE)) {
      throw HttpError.forbidden("the access token does not allow 'chat'");
    }
    return new Caller(p.userId(), null, null, null);
  }

  private Caller apiKey(String key) {
    if (key.length() > 512) {
      throw HttpError.unauthorized("the API key is not valid");
    }
    if (selfEndpoint == null) {
      throw HttpError.unauthorized(
          "API keys are not accepted by this router: it has no api to validate them (api-url);"
              + " use an access token");
    }
    String hash = sha256(key);
    KeyAnswer answer = keys.getIfPresent(hash);
    if (answer == null) {
      answer = ask(key);
      keys.put(hash, answer);
    }
    if (answer.caller() == null) {
      throw answer.status() == 403
          ? HttpError.forbidden(answer.refusal())
          : HttpError.unauthorized(answer.refusal());
    }
    return answer.caller();
  }

  private KeyAnswer ask(String key) {
    HttpRequest request =
        HttpRequest.newBuilder(selfEndpoint)
            .timeout(API_TIMEOUT)
            .header("Authorization", "Bearer " + key)
            .header("Accept", "application/json")
            .GET()
            .build();
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw HttpError.unavailable(
          "auth_unavailable", "the API key cannot be checked now: the api is not reachable");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw HttpError.unavailable("auth_unavailable", "the API key check was interrupted");
    }
    int status = response.statusCode();
    if (status == 401 || status == 403 || status == 404) {
      return new KeyAnswer(null, 401, "the API key is not valid (unknown or revoked)");
    }
    if (status != 200) {
      throw HttpError.unavailable(
          "auth_unavailable", "the API key cannot be checked now: the api answered " + status);
    }
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(response.body());
    } catch (IOException e) {
      throw HttpError.unavailable(
          "auth_unavailable", "the API key cannot be checked now: the api answered unreadably");
    }
    String userId = json.path("user_id").asText("");
    String keyId = json.path("key_id").asText("");
    if (userId.isEmpty() || keyId.isEmpty()) {
      throw HttpError.unavailable(
          "auth_unavailable", "the API key cannot be checked now: the api answered unreadably");
    }
    JsonNode scopes = json.path("scopes");
    if (scopes.isArray() && !scopes.isEmpty()) {
      boolean chat = false;
      for (JsonNode s : scopes) {
        chat |= SCOPE.equals(s.asText());
      }
      if (!chat) {
        return new KeyAnswer(null, 403, "the API key does not allow 'chat'");
      }
    }
    JsonNode limits = json.path("rate_limit");
    return new KeyAnswer(
        new Caller(
            userId,
            keyId,
            positive(limits.path("requests_per_minute")),
            positive(limits.path("tokens_per_minute"))),
        200,
        null);
  }

  private static Integer positive(JsonNode n) {
    return n.isIntegralNumber() && n.asInt() > 0 ? n.asInt() : null;
  }

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
