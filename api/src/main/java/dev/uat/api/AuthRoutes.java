package dev.uat.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.JwtScheme;
import dev.uat.auth.Principal;
import dev.uat.auth.Revocation;
import dev.uat.auth.TokenIssuer;
import dev.uat.auth.TokenVerifier;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import dev.uat.web.Service;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code /api/auth/*} and {@code /api/me}: accounts, logins, sessions and their tokens.
 *
 * <p>A login opens a session: the access token names it ({@code sid}) and the refresh token is the
 * session's current one. Refreshing rotates it; presenting an older refresh token of the same
 * session is reuse — someone else holds a copy — and ends the session.
 */
final class AuthRoutes {
  static final int MAX_EMAIL_LENGTH = 254;
  static final int MAX_NAME_LENGTH = 100;
  private static final Pattern EMAIL = Pattern.compile("^[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+$");

  record Credentials(String email, String password, String displayName) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record UserView(String id, String email, String displayName, boolean admin, Instant createdAt) {
    static UserView of(Store.User u) {
      return new UserView(u.id(), u.email(), u.displayName(), u.admin(), u.createdAt());
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Tokens(
      UserView user,
      String sessionId,
      String accessToken,
      String refreshToken,
      String tokenType,
      long expiresIn) {
    @Override
    public String toString() {
      return "Tokens{" + user.id() + "}";
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record SessionView(
      String id,
      String ip,
      String userAgent,
      Instant createdAt,
      Instant lastUsedAt,
      boolean current) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record RefreshRequest(String refreshToken) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record PasswordChange(String currentPassword, String newPassword, Boolean revokeKeys) {}

  /** Whether a password change revokes the account's API keys when the request does not say. */
  static final boolean REVOKE_KEYS_BY_DEFAULT = true;

  private final Store store;
  private final Sessions sessions;
  private final ApiKeys apiKeys;
  private final Passwords passwords;
  private final TokenIssuer issuer;
  private final TokenVerifier verifier;
  private final JwtKeys keys;
  private final Authenticator auth;
  private final Audit audit;
  private final ApiMetrics metrics;
  private final RateLimiter loginsPerAddress;
  private final LoginThrottle throttle;

  AuthRoutes(
      Store store,
      Sessions sessions,
      ApiKeys apiKeys,
      Passwords passwords,
      TokenIssuer issuer,
      TokenVerifier verifier,
      JwtKeys keys,
      Authenticator auth,
      Audit audit,
      ApiSettings.Limits limits,
      ApiMetrics metrics) {
    this.store = store;
    this.sessions = sessions;
    this.apiKeys = apiKeys;
    this.passwords = passwords;
    this.issuer = issuer;
    this.verifier = verifier;
    this.keys = keys;
    this.auth = auth;
    this.audit = audit;
    this.metrics = metrics;
    this.loginsPerAddress =
        RateLimiter.perMinute(
            limits.loginsPerIpPerMinute(), n -> metrics.evicted("logins_per_address", n));
    this.throttle =
        new LoginThrottle(
            limits.loginFailuresBeforeBackoff(), n -> metrics.evicted("login_pairs", n));
  }

  void register(JavalinConfig cfg) {
    cfg.routes.post("/api/auth/register", this::registerUser);
    cfg.routes.post("/api/auth/login", this::login);
    cfg.routes.post("/api/auth/refresh", this::refresh);
    cfg.routes.get("/api/auth/introspect", this::introspect);
    cfg.routes.post("/api/auth/logout", this::logout);
    cfg.routes.post("/api/auth/logout-all", this::logoutAll);
    cfg.routes.get("/api/auth/sessions", this::listSessions);
    cfg.routes.delete("/api/auth/sessions/{id}", this::revokeSession);
    cfg.routes.get(
        "/api/auth/jwks",
        ctx ->
            ctx.contentType("application/jwk-set+json")
                .header("Cache-Control", "public, max-age=300")
                .result(keys.publicKeys().toString()));
    cfg.routes.get("/api/me", this::me);
    cfg.routes.patch("/api/me", this::updateMe);
    cfg.routes.post("/api/me/password", this::changePassword);
  }

  private void limitAddress(Context ctx) {
    long wait = loginsPerAddress.acquire(LoginThrottle.addressKey(Service.clientAddress(ctx)));
    if (wait > 0) {
      throw metrics.tooMany(ApiMetrics.Limit.LOGINS_PER_ADDRESS, wait);
    }
  }

  private void registerUser(Context ctx) throws SQLException {
    limitAddress(ctx);
    Credentials c = Json.read(ctx.bodyAsBytes(), Credentials.class);
    String email = normalizeEmail(c.email());
    Passwords.validate(c.password());
    String name = displayName(c.displayName());
    Store.User user =
        store
            .createUser(email, passwords.hash(c.password()), name)
            .orElseThrow(
                () ->
                    HttpError.conflict("email_taken", "an account with this email already exists"));
    audit.record(
        ctx, user.id(), Audit.REGISTERED, user.admin() ? "first account: administrator" : null);
    ctx.status(201).json(open(ctx, user));
  }

  private void login(Context ctx) throws SQLException {
    limitAddress(ctx);
    Credentials c = Json.read(ctx.bodyAsBytes(), Credentials.class);
    if (c.email() == null || c.password() == null) {
      throw HttpError.invalid("fields 'email' and 'password' are required");
    }
    String email = c.email().trim().toLowerCase(Locale.ROOT);
    if (email.length() > MAX_EMAIL_LENGTH) {
      throw new HttpError(401, "invalid_credentials", "email or password is wrong");
    }
    String address = LoginThrottle.addressKey(Service.clientAddress(ctx));
    backOff(email, address);
    Store.User user = store.userByEmail(email).orElse(null);
    if (!passwords.verify(c.password(), user == null ? null : user.passwordHash())) {
      throttle.failed(email, address);
      audit.record(
          ctx,
          user == null ? null : user.id(),
          Audit.LOGIN_FAILED,
          user == null ? "unknown account" : null);
      throw new HttpError(401, "invalid_credentials", "email or password is wrong");
    }
    throttle.succeeded(email, address);
    audit.record(ctx, user.id(), Audit.LOGIN, null);
    ctx.json(open(ctx, user));
  }

  /**
   * 429 while this (account, address) pair backs off after failed passwords; the password is not
   * even checked then. Other addresses, the owner's among them, are not concerned.
   */
  private void backOff(String email, String address) {
    long wait = throttle.waitSeconds(email, address);
    if (wait > 0) {
      throw metrics.tooMany(ApiMetrics.Limit.LOGIN_BACKOFF, wait);
    }
  }

  /** Opens a session for {@code user} and returns its first tokens. */
  private Tokens open(Context ctx, Store.User user) throws SQLException {
    Sessions.Session s =
        sessions.create(
            user.id(),
            Audit.address(ctx),
            Audit.userAgent(ctx),
            Instant.now().plus(TokenIssuer.REFRESH_TTL));
    return tokens(user, s.id(), s.currentJti());
  }

  private Tokens tokens(Store.User user, String sessionId, String refreshJti) {
    TokenIssuer.Token access = issuer.access(user.id(), scopes(user), sessionId);
    TokenIssuer.Token refresh = issuer.refresh(user.id(), sessionId, refreshJti);
    return new Tokens(
        UserView.of(user),
        sessionId,
        access.value(),
        refresh.value(),
        "Bearer",
        TokenIssuer.ACCESS_TTL.toSeconds());
  }

  static Set<String> scopes(Store.User user) {
    return user.admin() ? Set.of("chat", "admin") : Set.of("chat");
  }

  private void refresh(Context ctx) throws SQLException {
    RefreshRequest req = Json.read(ctx.bodyAsBytes(), RefreshRequest.class);
    JWTClaimsSet claims;
    try {
      claims = verifier.verifyRefresh(req.refreshToken());
    } catch (InvalidTokenException e) {
      throw new HttpError(
          401, "invalid_refresh_token", "the refresh token is not valid: " + e.getMessage());
    }
    String sessionId = (String) claims.getClaim(JwtScheme.FAMILY);
    Sessions.Session session = sessionId == null ? null : sessions.find(sessionId).orElse(null);
    if (session == null
        || !session.userId().equals(claims.getSubject())
        || !session.active(Jdbc.now())) {
      throw new HttpError(
          401, "invalid_refresh_token", "the session of this refresh token has ended");
    }
    String next = Store.newId();
    if (!claims.getJWTID().equals(session.currentJti())
        || !sessions.rotate(
            session.id(), claims.getJWTID(), next, Instant.now().plus(TokenIssuer.REFRESH_TTL))) {
      // an older token of this family: a copy is in someone else's hands; end the family
      sessions.revoke(session.id(), session.userId(), "refresh_reuse");
      auth.announce(Revocation.session(session.id()));
      audit.record(
          ctx, session.userId(), Audit.REFRESH_REUSED, "session " + session.id() + " ended");
      throw new HttpError(
          401,
          "refresh_token_reused",
          "this refresh token was already used; the session has been ended");
    }
    Store.User user =
        store
            .userById(session.userId())
            .orElseThrow(() -> HttpError.unauthorized("the account no longer exists"));
    ctx.json(tokens(user, session.id(), next));
  }

  /**
   * What a credential is, for the router and realtime ({@link
   * dev.uat.auth.RemoteCredentialBackend}): 200 for a live one, 401 otherwise. Through the same
   * cached validator as every request, and outside the caller's rate limit: the other components
   * ask every {@link dev.uat.auth.Credentials#RECHECK} per credential in use.
   */
  private void introspect(Context ctx) {
    Principal p = auth.authenticate(ctx);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("active", true);
    body.put("kind", p.isApiKey() ? "api_key" : "access_token");
    body.put("user_id", p.userId());
    body.put("scopes", p.scopes());
    if (p.isApiKey()) {
      body.put("key_id", p.tokenId());
    } else {
      body.put("session_id", p.sessionId());
    }
    body.put(
        "expires_at", p.expiresAt().equals(Instant.MAX) ? null : p.expiresAt().getEpochSecond());
    ctx.header("Cache-Control", "no-store").json(body);
  }

  private void logout(Context ctx) throws SQLException {
    Principal p = auth.require(ctx, Authenticator.Access.ACCOUNT);
    String sid =
        p.session()
            .orElseThrow(
                () -> HttpError.invalid("logout ends a login session; this credential has none"));
    sessions.revoke(sid, p.userId(), "logout");
    auth.announce(Revocation.session(sid));
    audit.record(ctx, p.userId(), Audit.LOGOUT, null);
    ctx.status(204);
  }

  private void logoutAll(Context ctx) throws SQLException {
    Principal p = auth.require(ctx, Authenticator.Access.ACCOUNT);
    int ended = sessions.revokeAll(p.userId(), "logout_all");
    auth.announce(Revocation.user(p.userId()));
    audit.record(ctx, p.userId(), Audit.LOGOUT_ALL, ended + " sessions ended");
    ctx.json(Map.of("ended", ended));
  }

  private void listSessions(Context ctx) throws SQLException {
    Principal p = auth.require(ctx, Authenticator.Access.ACCOUNT);
    List<SessionView> out = new ArrayList<>();
    for (Sessions.Session s : sessions.active(p.userId())) {
      out.add(
          new SessionView(
              s.id(),
              s.ip(),
              s.userAgent(),
              s.createdAt(),
              s.lastUsedAt(),
              s.id().equals(p.sessionId())));
    }
    ctx.json(Map.of("data", out));
  }

  private void revokeSession(Context ctx) throws SQLException {
    Principal p = auth.require(ctx, Authenticator.Access.ACCOUNT);
    String id = ctx.pathParam("id");
    if (id.length() > 36 || !sessions.revoke(id, p.userId(), "revoked")) {
      throw HttpError.notFound("session not found");
    }
    auth.announce(Revocation.session(id));
    audit.record(ctx, p.userId(), Audit.SESSION_REVOKED, "session " + id);
    ctx.status(204);
  }

  private void me(Context ctx) throws SQLException {
    Principal p = auth.require(ctx, Authenticator.Access.ANY);
    ctx.json(UserView.of(user(p)));
  }

  private void updateMe(Context ctx) throws SQLException {
    Principal p = auth.require(ctx, Authenticator.Access.ACCOUNT);
    JsonNode body = Json.read(ctx.bodyAsBytes(), JsonNode.class);
    if (!body.isObject()) {
      throw HttpError.invalid("a JSON object is expected");
    }
    for (var field : body.properties()) {
      switch (field.getKey()) {
        case "display_name" -> {
          JsonNode v = field.getValue();
          if (!v.isNull() && !v.isTextual()) {
            throw HttpError.invalid("field 'display_name' must be a string or null");
          }
          store.setDisplayName(p.userId(), v.isNull() ? null : displayName(v.asText()));
        }
        case "email" -> throw HttpError.invalid("field 'email' cannot be changed");
        default ->
            throw HttpError.invalid(
                "field '" + Audit.truncate(field.getKey(), 40) + "' cannot be changed");
      }
    }
    ctx.json(UserView.of(user(p)));
  }

  /**
   * Changes the password, then ends every session of the account, the current one too, and (unless
   * {@code "revoke_keys": false}) revokes every API key: whoever knew the old password may have
   * opened sessions or made keys with it. Answers with the tokens of a new session.
   */
  private void changePassword(Context ctx) throws SQLException {
    Principal p = auth.require(ctx, Authenticator.Access.ACCOUNT);
    PasswordChange req = Json.read(ctx.bodyAsBytes(), PasswordChange.class);
    if (req.currentPassword() == null) {
      throw HttpError.invalid("field 'current_password' is required");
    }
    Passwords.validate(req.newPassword());
    Store.User user = user(p);
    String address = LoginThrottle.addressKey(Service.clientAddress(ctx));
    backOff(user.email(), address);
    if (!passwords.verify(req.currentPassword(), user.passwordHash())) {
      throttle.failed(user.email(), address);
      throw new HttpError(403, "invalid_credentials", "the current password is wrong");
    }
    throttle.succeeded(user.email(), address);
    boolean revokeKeys = req.revokeKeys() == null ? REVOKE_KEYS_BY_DEFAULT : req.revokeKeys();
    store.setPasswordHash(user.id(), passwords.hash(req.newPassword()));
    int ended = sessions.revokeAll(user.id(), "password_changed");
    int revoked = revokeKeys ? apiKeys.revokeAll(user.id()) : 0;
    // before the new session exists: nothing of it is cached anywhere to be ended with the rest
    auth.announce(Revocation.user(user.id()));
    audit.record(
        ctx,
        user.id(),
        Audit.PASSWORD_CHANGED,
        ended + " sessions ended, " + revoked + " API keys revoked");
    Tokens tokens = open(ctx, user);
    Map<String, Object> body = new LinkedHashMap<>(Json.MAPPER.convertValue(tokens, Map.class));
    body.put("sessions_ended", ended);
    body.put("keys_revoked", revoked);
    ctx.json(body);
  }

  private Store.User user(Principal p) throws SQLException {
    return store
        .userById(p.userId())
        .orElseThrow(() -> HttpError.unauthorized("the account no longer exists"));
  }

  static String normalizeEmail(String email) {
    if (email == null || email.isBlank()) {
      throw HttpError.invalid("field 'email' is required");
    }
    String e = email.trim().toLowerCase(Locale.ROOT);
    if (e.length() > MAX_EMAIL_LENGTH || !EMAIL.matcher(e).matches()) {
      throw HttpError.invalid("field 'email' is not a valid email address");
    }
    return e;
  }

  static String displayName(String name) {
    if (name == null) {
      return null;
    }
    String n = name.strip();
    if (n.isEmpty() || n.length() > MAX_NAME_LENGTH) {
      throw HttpError.invalid(
          "field 'display_name' must be 1 to " + MAX_NAME_LENGTH + " characters");
    }
    return n;
  }
}
