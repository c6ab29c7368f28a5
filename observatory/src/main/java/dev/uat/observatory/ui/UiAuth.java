package dev.uat.observatory.ui;

import static java.util.Objects.requireNonNull;

import dev.uat.web.HttpError;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Guards the query port with a token, when there is one: every request except {@code /health/*}
 * must carry it, as {@code Authorization: Bearer <token>} (API clients, Grafana, Prometheus), as
 * the cookie {@value #COOKIE} (the browser, after logging in), or as {@code ?token=} on a page
 * (which sets the cookie and redirects to the page without it, so links can carry the token once).
 * A page request without it gets the login page (401); an API request a 401 JSON error.
 *
 * <p>Tokens are compared in constant time. Thread-safe.
 */
public final class UiAuth {
  static final String COOKIE = "uat_observatory_token";

  private final byte[] token;

  /**
   * @param token the required token, not empty
   */
  public UiAuth(String token) {
    requireNonNull(token, "token");
    if (token.isEmpty()) {
      throw new IllegalArgumentException("token must not be empty");
    }
    this.token = token.getBytes(StandardCharsets.UTF_8);
  }

  public void register(JavalinConfig cfg) {
    cfg.routes.before(this::check);
    cfg.routes.post("/login", this::login);
  }

  private boolean valid(String candidate) {
    return candidate != null
        && MessageDigest.isEqual(token, candidate.getBytes(StandardCharsets.UTF_8));
  }

  private void check(Context ctx) {
    String path = ctx.path();
    if (path.startsWith("/health/") || path.equals("/login") || path.startsWith("/static/")) {
      return;
    }
    String header = ctx.header("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      if (valid(header.substring(7).trim())) {
        return;
      }
      throw HttpError.unauthorized("the observatory token is not valid");
    }
    String cookie = ctx.cookie(COOKIE);
    if (cookie != null && valid(URLDecoder.decode(cookie, StandardCharsets.UTF_8))) {
      return;
    }
    String query = ctx.queryParam("token");
    if (query != null
        && valid(query)
        && ctx.method().name().equals("GET")
        && UiRoutes.isPage(path)) {
      setCookie(ctx);
      ctx.redirect(path); // drop the token from the address bar and history
      ctx.skipRemainingHandlers();
      return;
    }
    if (UiRoutes.isPage(path) && ctx.method().name().equals("GET")) {
      ctx.status(401)
          .contentType("text/html; charset=utf-8")
          .result(UiRoutes.loginPage(path, query != null));
      ctx.skipRemainingHandlers();
      return;
    }
    throw HttpError.unauthorized(
        "the observatory needs its token: send 'Authorization: Bearer <token>'");
  }

  /** The login form posts {@code token} and {@code next}. */
  private void login(Context ctx) {
    String next = ctx.formParam("next");
    if (next == null || !next.startsWith("/") || next.startsWith("//")) {
      next = "/";
    }
    if (!valid(ctx.formParam("token"))) {
      ctx.status(401)
          .contentType("text/html; charset=utf-8")
          .result(UiRoutes.loginPage(next, true));
      return;
    }
    setCookie(ctx);
    ctx.redirect(next.isEmpty() ? "/" : next.replace("\r", "").replace("\n", ""));
  }

  private void setCookie(Context ctx) {
    ctx.header(
        "Set-Cookie",
        COOKIE
            + "="
            + URLEncoder.encode(new String(token, StandardCharsets.UTF_8), StandardCharsets.UTF_8)
            + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000");
  }
}
