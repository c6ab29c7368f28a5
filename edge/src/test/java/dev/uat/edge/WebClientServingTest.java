package dev.uat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.web.WebFixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The web client's files and configuration, as the edge serves them. */
@Timeout(30)
class WebClientServingTest {
  @RegisterExtension final WebFixture web = new WebFixture("uat-edge");

  @BeforeEach
  void start() {
    Edge edge =
        Edge.start(
            Rig.settings("http://127.0.0.1:1", "http://127.0.0.1:1", "http://127.0.0.1:1")
                .maxBodyBytes(4096)
                .observatoryUrl("http://127.0.0.1:16999/")
                .build(),
            web.telemetry());
    web.serve(edge, edge.url());
  }

  private HttpResponse<String> get(String path, String ifNoneMatch) throws Exception {
    HttpRequest.Builder b = web.request(path);
    if (ifNoneMatch != null) {
      b.header("If-None-Match", ifNoneMatch);
    }
    return web.send(b);
  }

  @Test
  void rootServesTheClientWithASecurityPolicy() throws Exception {
    var page = get("/", null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type"))
        .hasValueSatisfying(
            v -> assertThat(v.replace(" ", "")).isEqualTo("text/html;charset=utf-8"));
    assertThat(page.body()).contains("<script src=\"/app.js\"").contains("id=\"composer\"");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("default-src 'self'")
        .contains("connect-src 'self'");
    for (String file : new String[] {"/app.js", "/app.css", "/favicon.svg"}) {
      var r = get(file, null);
      assertThat(r.statusCode()).as(file).isEqualTo(200);
      assertThat(r.body()).isNotEmpty();
    }
    assertThat(get("/app.js", null).headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("text/javascript"));
  }

  @Test
  void unchangedFilesAreRevalidatedWithTheirETag() throws Exception {
    var first = get("/app.js", null);
    String etag = first.headers().firstValue("ETag").orElseThrow();
    assertThat(etag).startsWith("\"").endsWith("\"");
    assertThat(first.headers().firstValue("Cache-Control")).hasValue("no-cache");
    var again = get("/app.js", etag);
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(again.body()).isEmpty();
    assertThat(get("/app.js", "\"something-else\"").statusCode()).isEqualTo(200);
  }

  @Test
  void uiConfigNamesTheObservatory() throws Exception {
    var config = get("/ui-config.json", null);
    assertThat(config.statusCode()).isEqualTo(200);
    assertThat(config.body()).isEqualTo("{\"observatory_url\":\"http://127.0.0.1:16999\"}");
  }

  @Test
  void unknownPathsAreStillJsonErrors() throws Exception {
    var missing = get("/nothing-here", null);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("\"code\":\"not_found\"");
  }
}
