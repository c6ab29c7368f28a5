package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.events.EventPublisher;
import dev.uat.observatory.ui.Browser;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web chat client in a real headless Chromium against the all-in-one platform: log in, chat,
 * watch tokens stream in, see the answer and its trace link, and recover after a dropped
 * connection.
 */
@Timeout(180)
class WebClientTest {
  private static final AtomicInteger USERS = new AtomicInteger();

  @TempDir static Path data;
  static Platform platform;
  static Browser chromium;
  static ChromeDriver browser;
  static WebDriverWait wait;
  static EventPublisher events;

  @BeforeAll
  static void up() throws IOException {
    chromium = Browser.open(); // skips loudly when chromium is not installed
    browser = chromium.driver;
    Map<String, String> flags = TestSettings.allInOne(data);
    platform = Platform.up(Config.load(null, Map.of(), flags));
    events = new EventPublisher(platform.events(), Telemetry.noop("uat-test"));
    wait = new WebDriverWait(browser, Duration.ofSeconds(20));
  }

  @AfterAll
  static void down() throws IOException {
    if (chromium != null) {
      chromium.close();
    }
    if (platform != null) {
      platform.close();
    }
  }

  @BeforeEach
  void registerAndChat() {
    browser.get(platform.edge().url() + "/");
    browser.executeScript("sessionStorage.clear()");
    browser.navigate().refresh();
    wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
    browser
        .findElement(By.id("email"))
        .sendKeys("browser" + USERS.incrementAndGet() + "@example.com");
    browser.findElement(By.id("password")).sendKeys("a long password");
    browser.findElement(By.id("register")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("composer")));
    wait.until(d -> Boolean.TRUE.equals(state().get("connected")));
  }

  @AfterEach
  void logOut() {
    browser.executeScript("sessionStorage.clear()");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> state() {
    return (Map<String, Object>)
        ((JavascriptExecutor) browser).executeScript("return window.uat.state()");
  }

  private static WebElement send(String text) {
    WebElement box = browser.findElement(By.id("message"));
    box.sendKeys(text);
    browser.findElement(By.id("send")).click();
    return wait.until(
        d ->
            d.findElements(By.cssSelector("li.msg.assistant")).stream()
                .filter(li -> li.findElement(By.className("content")).getText().contains(text))
                .filter(li -> !li.getDomAttribute("class").contains("streaming"))
                .findFirst()
                .orElse(null));
  }

  @Test
  void loggedInUserChatsAndEveryAnswerLinksToItsTraceWhichShowsTheBrowserGotIt() throws Exception {
    WebElement answer = send("Hello, browser");
    assertThat(answer.findElement(By.className("content")).getText())
        .contains("echo provider")
        .contains("Hello, browser");
    assertThat(
            browser.findElements(By.cssSelector("li.msg.user .content")).stream()
                .map(WebElement::getText))
        .contains("Hello, browser");
    assertThat(browser.findElements(By.cssSelector("#conversations button"))).hasSize(1);

    WebElement trace = answer.findElement(By.cssSelector("a.trace"));
    String href = trace.getDomProperty("href");
    String observatory = platform.observatory().queryUrl();
    assertThat(href).matches(java.util.regex.Pattern.quote(observatory) + "/trace/[0-9a-f]{32}");
    assertThat(trace.getDomAttribute("target")).isEqualTo("_blank");
    String traceId = href.substring(href.lastIndexOf('/') + 1);

    // the browser acknowledged the answer: its delivery span in that trace says when
    JsonNode spans = awaitTrace(traceId, "delivered");
    boolean acknowledged = false;
    for (JsonNode s : spans) {
      if (s.get("operationName").asText().equals("process conversation:{id}")
          && s.get("logs").toString().contains("delivered")) {
        acknowledged = true;
      }
    }
    assertThat(acknowledged).as("a delivery span with a 'delivered' event").isTrue();

    // following the link opens the observatory at that trace
    trace.click();
    List<String> tabs = List.copyOf(browser.getWindowHandles());
    assertThat(tabs).hasSize(2);
    String chat = browser.getWindowHandle();
    browser.switchTo().window(tabs.get(0).equals(chat) ? tabs.get(1) : tabs.get(0));
    wait.until(d -> d.getCurrentUrl().equals(href));
    browser.close();
    browser.switchTo().window(chat);
  }

  private static JsonNode awaitTrace(String traceId, String needle) {
    HttpClient http = HttpClient.newHttpClient();
    return await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              var r =
                  http.send(
                      HttpRequest.newBuilder(
                              URI.create(
                                  platform.observatory().queryUrl() + "/api/traces/" + traceId))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              return r.statusCode() == 200
                  ? Json.MAPPER.readTree(r.body()).at("/data/0/spans")
                  : null;
            },
            spans -> spans != null && spans.toString().contains(needle));
  }

  private static Map<String, Object> delta(String conversation, String id, int index, String text) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("conversation_id", conversation);
    data.put("message_id", id);
    data.put("delta", text);
    data.put("index", index);
    return data;
  }

  private static Map<String, Object> created(String conversation, String id, String content) {
    Map<String, Object> message = new LinkedHashMap<>();
    message.put("id", id);
    message.put("role", "assistant");
    message.put("content", content);
    message.put("model", "echo");
    message.put("input_tokens", 3);
    message.put("output_tokens", 2);
    message.put("trace_id", "0af7651916cd43dd8448eb211c80319c");
    message.put("created_at", "2026-11-25T12:00:00Z");
    return Map.of("conversation_id", conversation, "message", message);
  }

  private static WebElement message(String id) {
    List<WebElement> found = browser.findElements(By.cssSelector("li.msg[data-id='" + id + "']"));
    return found.isEmpty() ? null : found.getFirst();
  }

  @Test
  void tokensStreamInAsTheyArriveAndTheFinalAnswerReplacesThem() throws IOException {
    send("first question");
    String conversation = (String) state().get("current");
    String channel = "conversation:" + conversation;

    events.publish(channel, "message.delta", delta(conversation, "m-stream", 0, "Hello"));
    events.publish(channel, "message.delta", delta(conversation, "m-stream", 1, ", wor"));
    WebElement streaming =
        wait.until(
            d -> {
              WebElement li = message("m-stream");
              return li != null
                      && li.findElement(By.className("content")).getText().equals("Hello, wor")
                  ? li
                  : null;
            });
    assertThat(streaming.getDomAttribute("class")).contains("streaming");
    assertThat(streaming.getDomAttribute("aria-busy")).isEqualTo("true");
    assertThat(streaming.findElements(By.cssSelector("a.trace"))).isEmpty();

    events.publish(channel, "message.delta", delta(conversation, "m-stream", 2, "ld"));
    events.publish(channel, "message.created", created(conversation, "m-stream", "Hello, world"));
    wait.until(
        d -> {
          WebElement li = message("m-stream");
          return li != null && !li.getDomAttribute("class").contains("streaming");
        });
    WebElement done = message("m-stream");
    assertThat(done.findElement(By.className("content")).getText()).isEqualTo("Hello, world");
    assertThat(done.findElement(By.cssSelector("a.trace")).getDomProperty("href"))
        .isEqualTo(platform.observatory().queryUrl() + "/trace/0af7651916cd43dd8448eb211c80319c");
    assertThat(browser.findElements(By.cssSelector("li.msg[data-id='m-stream']"))).hasSize(1);
  }

  @Test
  void droppedConnectionRecoversWhatWasPublishedMeanwhile() {
    send("before the drop");
    String conversation = (String) state().get("current");
    String channel = "conversation:" + conversation;

    browser.executeScript("window.uat.drop(1500)");
    wait.until(d -> Boolean.FALSE.equals(state().get("connected")));
    assertThat(browser.findElement(By.id("status")).getText()).contains("Offline");
    // not in the database: it can only come back through the hub's recovery
    events.publish(channel, "message.created", created(conversation, "m-missed", "while away"));

    wait.until(d -> Boolean.TRUE.equals(state().get("connected")));
    WebElement missed = wait.until(d -> message("m-missed"));
    assertThat(missed.findElement(By.className("content")).getText()).isEqualTo("while away");
    assertThat(browser.findElement(By.id("status")).getText()).isEqualTo("Live");
    WebElement after = send("after the drop");
    assertThat(after.getText()).contains("after the drop");
  }

  @Test
  void aLongConversationShowsItsNewestPageAndLoadsEarlierOnesOnRequest() throws Exception {
    send("the very first question");
    String conversation = (String) state().get("current");
    String email = "browser" + USERS.get() + "@example.com";
    ChatTrace edge = new ChatTrace(platform.edge().url(), platform.observatory().queryUrl());
    String token =
        ChatTrace.json(
                edge.call(
                    "POST",
                    "/api/auth/login",
                    null,
                    "{\"email\":\"" + email + "\",\"password\":\"a long password\"}"))
            .get("access_token")
            .asText();
    for (int i = 0; i < 55; i++) { // 2 + 110 messages: more than one page of 100
      var chat =
          edge.call(
              "POST",
              "/api/chat",
              token,
              "{\"conversation_id\":\"" + conversation + "\",\"message\":\"later " + i + "\"}");
      assertThat(chat.statusCode()).isEqualTo(200);
    }
    browser
        .findElement(By.cssSelector("#conversations button[data-id='" + conversation + "']"))
        .click();
    WebElement earlier = wait.until(d -> d.findElement(By.cssSelector("li.earlier button")));
    wait.until(d -> d.findElements(By.cssSelector("li.msg")).size() == 100);
    assertThat(browser.findElement(By.cssSelector("li.msg .content")).getText())
        .doesNotContain("the very first question");

    earlier.click();
    wait.until(d -> d.findElements(By.cssSelector("li.msg")).size() == 112);
    assertThat(browser.findElements(By.cssSelector("li.earlier"))).isEmpty();
    assertThat(browser.findElement(By.cssSelector("li.msg .content")).getText())
        .isEqualTo("the very first question");
  }
}
