package dev.uat.edge;

import dev.uat.web.Json;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The web chat client: plain HTML, CSS and JavaScript from the classpath ({@code web/}), read once
 * at start and served with strong ETags ({@code 304} when unchanged; {@code Cache-Control:
 * no-cache}, so a new version is picked up at once), plus {@code GET /ui-config.json}, which tells
 * the client where the observatory's UI is.
 */
final class WebClient {
  private static final String CSP =
      "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
          + "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

  private record File(byte[] body, String contentType, String etag) {}

  private final Map<String, File> files;

  private WebClient(Map<String, File> files) {
    this.files = files;
  }

  static WebClient load(String observatoryUrl) {
    Map<String, File> files = new LinkedHashMap<>();
    files.put("/", file("web/index.html", "text/html; charset=utf-8"));
    files.put("/app.js", file("web/app.js", "text/javascript; charset=utf-8"));
    files.put("/app.css", file("web/app.css", "text/css; charset=utf-8"));
    files.put("/favicon.svg", file("web/favicon.svg", "image/svg+xml"));
    files.put(
        "/ui-config.json",
        file(
            Json.write(Map.of("observatory_url", observatoryUrl)),
            "application/json; charset=utf-8"));
    return new WebClient(files);
  }

  private static File file(String resource, String contentType) {
    try (InputStream in = WebClient.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      return file(in.readAllBytes(), contentType);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static File file(byte[] body, String contentType) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(body);
      String etag = "\"" + HexFormat.of().formatHex(hash, 0, 12) + "\"";
      return new File(body, contentType, etag);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  void routes(JavalinConfig cfg) {
    for (Map.Entry<String, File> f : files.entrySet()) {
      File file = f.getValue();
      cfg.routes.get(f.getKey(), ctx -> serve(ctx, file));
    }
  }

  private static void serve(Context ctx, File file) {
    ctx.header("ETag", file.etag);
    ctx.header("Cache-Control", "no-cache");
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Referrer-Policy", "no-referrer");
    if (file.contentType.startsWith("text/html")) {
      ctx.header("Content-Security-Policy", CSP);
      ctx.header("X-Frame-Options", "DENY");
    }
    String match = ctx.header("If-None-Match");
    if (match != null && (match.equals(file.etag) || match.equals("W/" + file.etag))) {
      ctx.status(304);
      return;
    }
    ctx.contentType(file.contentType);
    ctx.result(file.body);
  }
}
