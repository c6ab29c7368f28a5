package dev.uat.observatory.ui;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Serves the UI: the one HTML page for every UI path ({@code /}, {@code /search}, {@code
 * /trace/<id>}, {@code /map}, {@code /monitor}, {@code /genai}, {@code /alerts}) and its script and
 * style sheet under {@code /static/}, from the jar, with ETags. Thread-safe.
 */
public final class UiRoutes {
  private static final String BASE = "/dev/uat/observatory/ui/";
  private static final List<String> PAGES =
      List.of("/search", "/trace/", "/map", "/monitor", "/genai", "/alerts");

  private record Asset(byte[] bytes, String contentType, String etag) {}

  private final Asset index = load("index.html", "text/html; charset=utf-8");
  private final Map<String, Asset> statics =
      Map.of(
          "app.js", load("app.js", "text/javascript; charset=utf-8"),
          "app.css", load("app.css", "text/css; charset=utf-8"));

  public void register(JavalinConfig cfg) {
    cfg.routes.get("/", ctx -> send(ctx, index));
    cfg.routes.get("/search", ctx -> send(ctx, index));
    cfg.routes.get("/trace/{traceId}", ctx -> send(ctx, index));
    cfg.routes.get("/map", ctx -> send(ctx, index));
    cfg.routes.get("/monitor", ctx -> send(ctx, index));
    cfg.routes.get("/genai", ctx -> send(ctx, index));
    cfg.routes.get("/alerts", ctx -> send(ctx, index));
    cfg.routes.get(
        "/static/{file}",
        ctx -> {
          Asset asset = statics.get(ctx.pathParam("file"));
          if (asset == null) {
            throw dev.uat.web.HttpError.notFound("no such file");
          }
          send(ctx, asset);
        });
  }

  /** Whether {@code path} is one of the UI's pages. */
  static boolean isPage(String path) {
    if (path.equals("/")) {
      return true;
    }
    for (String page : PAGES) {
      if (path.equals(page) || (page.endsWith("/") && path.startsWith(page))) {
        return true;
      }
    }
    return false;
  }

  private static void send(Context ctx, Asset asset) {
    ctx.header("ETag", asset.etag);
    ctx.header("Cache-Control", "no-cache");
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Referrer-Policy", "no-referrer");
    ctx.header(
        "Content-Security-Policy",
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
            + " frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    if (asset.etag.equals(ctx.header("If-None-Match"))) {
      ctx.status(304);
      return;
    }
    ctx.contentType(asset.contentType).result(asset.bytes);
  }

  private static Asset load(String name, String contentType) {
    try (InputStream in = UiRoutes.class.getResourceAsStream(BASE + name)) {
      if (in == null) {
        throw new IllegalStateException("missing UI resource " + name);
      }
      byte[] bytes = in.readAllBytes();
      String etag =
          "\""
              + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8)
              + "\"";
      return new Asset(bytes, contentType, etag);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The login page shown instead of a page when the token is missing. */
  static String loginPage(String next, boolean failed) {
    String safeNext = next.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;");
    return """
        <!doctype html><html lang="en"><head><meta charset="utf-8">
        <title>Observatory · token needed</title>
        <link rel="stylesheet" href="/static/app.css"></head>
        <body class="login"><form method="post" action="/login">
        <h1>Observatory</h1>
        <p>This observatory is reachable from the network, so it needs its token
        (the <code>observatory-token</code> setting, or the one printed in the log at start).</p>
        %s
        <input type="hidden" name="next" value="%s">
        <label>Token <input type="password" name="token" autofocus autocomplete="off"></label>
        <button type="submit">Open</button></form></body></html>
        """
        .formatted(failed ? "<p class=\"error\">That token is not valid.</p>" : "", safeNext);
  }
}
