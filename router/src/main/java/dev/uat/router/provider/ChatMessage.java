package dev.uat.router.provider;

import static java.util.Objects.requireNonNull;

/**
 * One message of a conversation.
 *
 * @param role {@code system}, {@code user}, {@code assistant} or {@code tool}
 * @param content the text
 */
public record ChatMessage(String role, String content) {
  public ChatMessage {
    requireNonNull(role, "role");
    requireNonNull(content, "content");
  }

  @Override
  public String toString() {
    return "ChatMessage{" + role + ", " + content.length() + " chars}";
  }
}
