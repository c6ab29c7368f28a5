package dev.uat.router.provider;

import java.time.Instant;

/**
 * A {@link ChatStream} read message by message from an upstream: subclasses parse one message of
 * their wire format into a piece of text and the answer's metadata; this class collects the text,
 * watches the end and builds the {@link ChatResponse}.
 */
abstract class UpstreamChatStream implements ChatStream {
  final UpstreamHttp.Lines lines;
  private final StringBuilder text = new StringBuilder(256);
  private boolean first = true;
  private ChatResponse result;

  // set by parse()
  String id;
  String model;
  String finishReason;
  int inputTokens = ChatResponse.UNKNOWN;
  int outputTokens = ChatResponse.UNKNOWN;
  long created = Instant.now().getEpochSecond();
  boolean ended;

  UpstreamChatStream(UpstreamHttp.Lines lines, String requestedModel) {
    this.lines = lines;
    this.model = requestedModel;
  }

  /**
   * Reads one message (a line, or an event's data): returns the text piece it carries (or null),
   * sets the metadata fields, and sets {@link #ended} at the upstream's end marker.
   *
   * @throws ProviderException when the message is an error or unreadable
   */
  abstract String parse(String message);

  /**
   * The next message of the wire format, or null at the end of the body: here a non-empty line
   * (newline-delimited JSON); Server-Sent Events read whole events instead.
   *
   * @throws ProviderException on a deadline or a broken connection
   */
  String read() {
    for (String line; (line = lines.readLine()) != null; ) {
      if (!line.isEmpty()) {
        return line;
      }
    }
    return null;
  }

  @Override
  public final String next() {
    if (result != null) {
      return null;
    }
    while (true) {
      String line = read();
      if (line == null) {
        if (!ended) {
          lines.close();
          throw lines.fail(
              ProviderException.Kind.FAILED,
              "incomplete_response",
              "ended the stream before the answer was complete",
              null);
        }
        return finish();
      }
      String piece = parse(line);
      if (piece != null && !piece.isEmpty()) {
        if (first) {
          first = false;
          lines.firstPieceArrived();
        }
        int room = MAX_ANSWER_CHARS - text.length();
        if (piece.length() >= room) { // the answer is as long as it may be: cut, and stop
          piece = piece.substring(0, room);
          text.append(piece);
          finishReason = "length";
          finish();
          return piece.isEmpty() ? null : piece;
        }
        text.append(piece);
        return piece;
      }
      if (ended) {
        return finish();
      }
    }
  }

  private String finish() {
    lines.close();
    result =
        new ChatResponse(
            id == null ? ChatResponse.newId() : id,
            model,
            text.toString(),
            finishReason == null ? "stop" : finishReason,
            inputTokens,
            outputTokens,
            created,
            false);
    return null;
  }

  @Override
  public String id() {
    if (id == null) {
      id = ChatResponse.newId();
    }
    return id;
  }

  @Override
  public String model() {
    return model;
  }

  @Override
  public ChatResponse result() {
    if (result == null) {
      throw new IllegalStateException("the stream has not ended");
    }
    return result;
  }

  @Override
  public void close() {
    lines.close();
  }
}
