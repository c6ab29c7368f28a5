package dev.uat.router;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.Principal;
import dev.uat.auth.RemoteCredentialBackend;
import dev.uat.auth.TokenVerifier;
import dev.uat.web.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The api's introspection endpoint ({@code GET /api/auth/introspect}, the credential being checked
 * as the bearer) on a real HTTP server: API keys it holds are live until revoked, access tokens
 * (verified with {@link Http#KEYS}) are live while their login session is. 200 with the api's
 * answer for a live credential, 401 otherwise, 500 while {@link #down}.
 */
final class FakeApi implements AutoCloseable {
  private record Key(String id, String userId, List<String> scopes) {}

  private final HttpServer server;
  private final TokenVerifier verifier = TokenVerifier.local(Http.KEYS);
  private final Map<String, Key> keys = new ConcurrentHashMap<>();
  private final Set<String> sessions = ConcurrentHashMap.newKeySet();
  final AtomicInteger asked = new AtomicInteger();
  volatile boolean down;

  FakeApi() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(RemoteCredentialBackend.PATH, this::introspect);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** A live API key of {@code userId}. */
  FakeApi key(String secret, String keyId, String userId, String... scopes) {
    keys.put(secret, new Key(keyId, userId, List.of(scopes)));
    return this;
  }

  void revokeKey(String secret) {
    keys.remove(secret);
  }

  /** An access token of {@code userId} in a new active login session {@code sid}. */
  String signIn(String userId, String sid) {
    sessions.add(sid);
    return new dev.uat.auth.TokenIssuer(Http.KEYS).access(userId, Set.of("chat"), sid).value();
  }

  void endSession(String sid) {
    sessions.remove(sid);
  }

  private void introspect(HttpExchange x) throws IOException {
    asked.incrementAndGet();
    try (x) {
      if (down) {
        send(x, 500, Map.of("error", Map.of("code", "internal", "message", "down")));
        return;
      }
      String credential = TokenVerifier.bearer(x.getRequestHeaders().getFirst("Authorization"));
      Map<String, Object> answer = credential == null ? null : describe(credential);
      if (answer == null) {
        send(x, 401, Map.of("error", Map.of("code", "unauthorized", "message", "not live")));
      } else {
        send(x, 200, answer);
      }
    }
  }

  private Map<String, Object> describe(String credential) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("active", true);
    Key key = keys.get(credential);
    if (key != null) {
      out.put("kind", "api_key");
      out.put("user_id", key.userId());
      out.put("scopes", key.scopes());
      out.put("key_id", key.id());
      out.put("session_id", null);
      out.put("expires_at", null);
      return out;
    }
    try {
      Principal p = verifier.verifyAccess(credential);
      if (p.sessionId() == null || !sessions.contains(p.sessionId())) {
        return null;
      }
      out.put("kind", "access_token");
      out.put("user_id", p.userId());
      out.put("scopes", p.scopes());
      out.put("key_id", null);
      out.put("session_id", p.sessionId());
      out.put("expires_at", p.expiresAt().getEpochSecond());
      return out;
    } catch (InvalidTokenException e) {
      return null;
    }
  }

  private static void send(HttpExchange x, int status, Object body) throws IOException {
    byte[] bytes = Json.write(body);
    x.getResponseHeaders().set("Content-Type", "application/json");
    x.sendResponseHeaders(status, bytes.length);
    x.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }

  @Override
  public String toString() {
    return "FakeApi{" + url() + "}";
  }
}
