package dev.uat.observatory.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.observatory.Observatory;
import dev.uat.observatory.TestObservatory;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.testing.SyntheticTraces;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The UI in headless Chromium: search, and the trace view of traces of 10,000 and 50,000 spans.
 * Render times are measured in the page and printed (bench/results-observatory.md records them);
 * the assertions are that everything renders, with only a generous time bound as a guard against a
 * pathological regression, not as the goal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class ObservatoryUiTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private TestObservatory fixture;
  private Observatory observatory;
  private Browser browser;
  private final SyntheticTraces traces = new SyntheticTraces(42);
  private String chatTraceId;
  private String bigTraceId;
  private String hugeTraceId;

  @BeforeAll
  void start() throws Exception {
    browser = Browser.open();
    fixture = TestObservatory.start(512L * 1024 * 1024);
    observatory = fixture.observatory();
    long now = System.currentTimeMillis() * 1_000_000;
    List<Span> chats = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      chats.addAll(traces.chatTrace(now - (30 - i) * 1_000_000_000L, i % 10 == 0 ? 1 : 0));
    }
    chatTraceId = chats.getFirst().traceIdHex();
    post(chats);
    List<Span> big = traces.bigTrace(10_000, now - 60_000_000_000L);
    bigTraceId = big.getFirst().traceIdHex();
    post(big);
    List<Span> huge = traces.bigTrace(50_000, now - 120_000_000_000L);
    hugeTraceId = huge.getFirst().traceIdHex();
    for (int i = 0; i < huge.size(); i += 10_000) {
      post(huge.subList(i, Math.min(huge.size(), i + 10_000)));
    }
  }

  @AfterAll
  void stop() throws Exception {
    if (browser != null) {
      browser.close();
    }
    if (fixture != null) {
      fixture.close();
    }
  }

  private void post(List<Span> spans) {
    assertThat(fixture.postOtlp(spans).statusCode()).isEqualTo(200);
  }

  private WebDriverWait waiting(int seconds) {
    return new WebDriverWait(browser.driver, Duration.ofSeconds(seconds));
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> timing() {
    return (Map<String, Object>)
        ((JavascriptExecutor) browser.driver).executeScript("return window.__uatTraceTiming");
  }

  @Test
  void searchByServiceAndTagListsMatchingTracesAndOpensOne() {
    browser.driver.get(observatory.queryUrl() + "/search");
    waiting(20).until(d -> d.findElements(By.cssSelector("#service option")).size() == 5);
    new Select(browser.driver.findElement(By.id("service"))).selectByValue("uat-api");
    browser.driver.findElement(By.id("tags")).sendKeys("error=true http.route=/api/chat");
    browser.driver.findElement(By.id("find")).click();

    waiting(20).until(d -> d.findElements(By.cssSelector("#results a.result")).size() > 0);
    List<WebElement> results = browser.driver.findElements(By.cssSelector("#results a.result"));
    assertThat(results).hasSize(3); // every tenth of 30 chat traces failed
    assertThat(browser.driver.findElement(By.id("result-count")).getText()).isEqualTo("3 traces");
    assertThat(browser.driver.getCurrentUrl()).contains("service=uat-api").contains("tags=error");
    assertThat(browser.driver.findElements(By.cssSelector("svg.scatter circle"))).hasSize(3);

    results.getFirst().click();
    waiting(20).until(d -> "1".equals(d.findElement(By.id("trace")).getAttribute("data-ready")));
    assertThat(browser.driver.getCurrentUrl()).contains("/trace/");
    assertThat(browser.driver.findElement(By.id("trace-title")).getText())
        .isEqualTo("uat-edge: POST /api/*");
    assertThat(browser.driver.findElement(By.id("trace-stats")).getText())
        .startsWith("10 spans · 4 services");
  }

  @Test
  void traceLinkOpensTheTraceViewWithSpanDetails() {
    browser.driver.get(observatory.queryUrl() + "/trace/" + chatTraceId);
    waiting(20).until(d -> "1".equals(d.findElement(By.id("trace")).getAttribute("data-ready")));
    List<WebElement> rows = browser.driver.findElements(By.cssSelector(".wf-row:not([hidden])"));
    assertThat(rows).hasSize(10);
    rows.stream()
        .filter(r -> r.getText().contains("chat llama3"))
        .findFirst()
        .orElseThrow()
        .findElement(By.cssSelector(".wf-name"))
        .click();
    waiting(20).until(d -> d.findElements(By.id("detail-name")).size() == 1);
    String detail = browser.driver.findElement(By.id("span-detail")).getText();
    assertThat(detail).contains("chat llama3").contains("gen_ai.request.model").contains("llama3");
  }

  @Test
  void traceOf10000SpansRendersCompletely() {
    browser.driver.get(observatory.queryUrl() + "/trace/" + bigTraceId);
    waiting(60).until(d -> "1".equals(d.findElement(By.id("trace")).getAttribute("data-ready")));
    Map<String, Object> timing = timing();
    System.out.println("UI timing, 10,000 spans: " + timing);
    WebElement waterfall = browser.driver.findElement(By.id("waterfall"));
    assertThat(waterfall.getAttribute("data-total-spans")).isEqualTo("10000");
    assertThat(waterfall.getAttribute("data-visible-rows")).isEqualTo("10000");
    assertThat(browser.driver.findElement(By.id("trace-stats")).getText())
        .startsWith("10000 spans · 5 services");
    scrollToEndAndCheckLastRow(waterfall, 10_000);
    // generous guard only: the measured figure (well under 1 s) is recorded in the benchmark file
    assertThat(((Number) timing.get("sinceClickMs")).doubleValue()).isLessThan(10_000);
  }

  @Test
  void traceOf50000SpansRendersWithoutFailing() {
    browser.driver.get(observatory.queryUrl() + "/trace/" + hugeTraceId);
    waiting(120).until(d -> !"0".equals(d.findElement(By.id("trace")).getAttribute("data-ready")));
    assertThat(browser.driver.findElement(By.id("trace")).getAttribute("data-ready"))
        .isEqualTo("1");
    System.out.println("UI timing, 50,000 spans: " + timing());
    WebElement waterfall = browser.driver.findElement(By.id("waterfall"));
    assertThat(waterfall.getAttribute("data-total-spans")).isEqualTo("50000");
    scrollToEndAndCheckLastRow(waterfall, 50_000);
    browser.driver.findElement(By.xpath("//button[text()='Collapse to services']")).click();
    int collapsed = Integer.parseInt(waterfall.getAttribute("data-visible-rows"));
    assertThat(collapsed).isLessThan(50_000).isPositive();
  }

  private void scrollToEndAndCheckLastRow(WebElement waterfall, int spans) {
    ((JavascriptExecutor) browser.driver)
        .executeScript("arguments[0].scrollTop = arguments[0].scrollHeight", waterfall);
    waiting(20)
        .until(
            d -> {
              String last = waterfall.getAttribute("data-last-row");
              return last != null && Integer.parseInt(last) == spans - 1;
            });
    List<WebElement> rows =
        browser.driver.findElements(
            By.cssSelector(".wf-row[data-index='" + (spans - 1) + "']:not([hidden])"));
    assertThat(rows).hasSize(1);
    assertThat(rows.getFirst().getText()).contains("step ");
  }
}
