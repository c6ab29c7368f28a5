package dev.uat.realtime;

import dev.uat.web.Urls;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may subscribe to what: a user to its own channel {@code user:<id>}; to {@code
 * conversation:<id>} when the api says the conversation is theirs ({@code HEAD
 * /api/conversations/<id>} with the connection's credential); to nothing else. Thread-safe; {@link
 * #refusal} blocks on the api (up to 5 s), so it runs on the connection's thread.
 */
final class SubscriptionAuthorizer {
  private static final Logger log = LoggerFactory.getLogger(SubscriptionAuthorizer.class);
  private static final String CONVERSATION = "conversation:";
  private static final Pattern CONVERSATION_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private final HttpClient http;
  private final String apiUrl;

  SubscriptionAuthorizer(HttpClient http, String apiUrl) {
    this.http = http;
    this.apiUrl = Urls.stripSlash(apiUrl);
  }

  /** Why {@code c} may not subscribe to {@code channel} (an error code); empty when it may. */
  Optional<String> refusal(Connection c, String channel) {
    if (channel.equals("user:" + c.principal.userId())) {
      return Optional.empty();
    }
    if (channel.startsWith(CONVERSATION)
        && CONVERSATION_ID.matcher(channel.substring(CONVERSATION.length())).matches()) {
      return Optional.ofNullable(conversation(c, channel.substring(CONVERSATION.length())));
    }
    return Optional.of("forbidden");
  }

  /** Null when the api says {@code conversation} is the caller's, else an error code. */
  private String conversation(Connection c, String conversation) {
    try {
      HttpRequest request =
          HttpRequest.newBuilder(
                  URI.create(
                      apiUrl
                          + "/api/conversations/"
                          + URLEncoder.encode(conversation, StandardCharsets.UTF_8)))
              .method("HEAD", HttpRequest.BodyPublishers.noBody())
              .header("Authorization", "Bearer " + c.token)
              .timeout(Duration.ofSeconds(5))
              .build();
      int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      return switch (status) {
        case 204, 200 -> null;
        case 401 -> "unauthenticated";
        default -> status >= 500 ? "unavailable" : "forbidden";
      };
    } catch (IOException e) {
      log.warn("cannot ask the api about {}{}: {}", CONVERSATION, conversation, e.toString());
      return "unavailable";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unavailable";
    }
  }
}
