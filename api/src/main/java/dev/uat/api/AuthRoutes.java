package dev.uat.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.Principal;
import dev.uat.auth.TokenIssuer;
import dev.uat.web.HttpError;
import dev.uat.web.Json;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/** {@code /api/auth/*} and {@code /api/me}: accounts and tokens. */
final class AuthRoutes {
  static final int MAX_EMAIL_LENGTH = 254;
  private static final Pattern EMAIL = Pattern.compile("^[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+$");
  static final Set<String> USER_SCOPES = Set.of("chat");

  record Credentials(String email, String password) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record UserView(String id, String email, Instant createdAt) {
    static UserView of(Store.User u) {
      return new UserView(u.id(), u.email(), u.createdAt());
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Tokens(
      UserView user, String accessToken, String refreshToken, String tokenType, long expiresIn) {
    @Override
    public String toString() {
      return "Tokens{" + user.id() + "}";
    }
  }

  private final Store store;
  private final Passwords passwords;
  private final TokenIssuer issuer;
  private final JwtKeys keys;
  private final Authenticator auth;

  AuthRoutes(
      Store store, Passwords passwords, TokenIssuer issuer, JwtKeys keys, Authenticator auth) {
    this.store = store;
    this.passwords = passwords;
    this.issuer = issuer;
    this.keys = keys;
    this.auth = auth;
  }

  void register(JavalinConfig cfg) {
    cfg.routes.post("/api/auth/register", this::registerUser);
    cfg.routes.post("/api/auth/login", this::login);
    cfg.routes.get(
        "/api/auth/jwks",
        ctx -> ctx.contentType("application/json").result(keys.publicKeys().toString()));
    cfg.routes.get("/api/me", this::me);
  }

  private void registerUser(Context ctx) throws SQLException {
    Credentials c = Json.read(ctx.bodyAsBytes(), Credentials.class);
    String email = normalizeEmail(c.email());
    Passwords.validate(c.password());
    Store.User user =
        store
            .createUser(email, passwords.hash(c.password()))
            .orElseThrow(
                () ->
                    HttpError.conflict("email_taken", "an account with this email already exists"));
    ctx.status(201).json(tokens(user));
  }

  private void login(Context ctx) throws SQLException {
    Credentials c = Json.read(ctx.bodyAsBytes(), Credentials.class);
    if (c.email() == null || c.password() == null) {
      throw HttpError.invalid("fields 'email' and 'password' are required");
    }
    String email = c.email().trim().toLowerCase(Locale.ROOT);
    Store.User user =
        email.length() > MAX_EMAIL_LENGTH ? null : store.userByEmail(email).orElse(null);
    if (!passwords.verify(c.password(), user == null ? null : user.passwordHash())) {
      throw new HttpError(401, "invalid_credentials", "email or password is wrong");
    }
    ctx.json(tokens(user));
  }

  private void me(Context ctx) throws SQLException {
    Principal p = auth.require(ctx);
    Store.User user =
        store
            .userById(p.userId())
            .orElseThrow(() -> HttpError.unauthorized("the account no longer exists"));
    ctx.json(UserView.of(user));
  }

  private Tokens tokens(Store.User user) {
    TokenIssuer.Token access = issuer.access(user.id(), USER_SCOPES);
    TokenIssuer.Token refresh =
        issuer.refresh(user.id(), UUID.randomUUID().toString(), UUID.randomUUID().toString());
    return new Tokens(
        UserView.of(user),
        access.value(),
        refresh.value(),
        "Bearer",
        TokenIssuer.ACCESS_TTL.toSeconds());
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
}
