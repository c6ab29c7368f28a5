package dev.uat.web;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events as the WHATWG HTML standard defines them, read and written in one place.
 *
 * <p>The reader joins an event's {@code data:} lines with {@code \n}, strips one space after the
 * colon, ignores comments ({@code : keep-alive}), {@code id:} and {@code retry:}, and ends an event
 * at a blank line (or at the end of the stream). The writer splits a payload at line breaks so that
 * it never ends an event early.
 */
public final class Sse {
  /** The {@code Content-Type} of an event stream. */
  public static final String CONTENT_TYPE = "text/event-stream; charset=utf-8";

  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NEWLINE = {'\n'};

  private Sse() {}

  /** Where the reader gets its lines: {@code BufferedReader::readLine}, or a bounded reader. */
  @FunctionalInterface
  public interface Lines {
    /** The next line without its terminator, or null at the end of the stream. */
    String readLine() throws IOException;
  }

  /** One event: its name ({@code message} when the stream gave none) and its data. */
  public record Event(String name, String data) {}

  /** Reads events from {@code lines}; not thread-safe. */
  public static final class Reader {
    private final Lines lines;
    private final StringBuilder data = new StringBuilder();

    public Reader(Lines lines) {
      this.lines = lines;
    }

    /** The next event that has data, or null at the end of the stream. */
    public Event next() throws IOException {
      String name = null;
      boolean hasData = false;
      data.setLength(0);
      for (String line; (line = lines.readLine()) != null; ) {
        if (line.isEmpty()) {
          if (hasData) {
            return new Event(name == null ? "message" : name, data.toString());
          }
          name = null;
          continue;
        }
        if (line.charAt(0) == ':') {
          continue;
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = "";
        if (colon >= 0) {
          int from =
              colon + 1 < line.length() && line.charAt(colon + 1) == ' ' ? colon + 2 : colon + 1;
          value = line.substring(from);
        }
        switch (field) {
          case "data" -> {
            if (hasData) {
              data.append('\n');
            }
            data.append(value);
            hasData = true;
          }
          case "event" -> name = value;
          default -> {} // id, retry and unknown fields: not used here
        }
      }
      return hasData ? new Event(name == null ? "message" : name, data.toString()) : null;
    }
  }

  /**
   * Writes one unnamed event whose data is serialized JSON (which never holds a raw line break);
   * does not flush. The hot path: no string is made.
   */
  public static void writeJson(OutputStream out, byte[] json) throws IOException {
    out.write(DATA);
    out.write(json);
    out.write(NEWLINE);
    out.write(NEWLINE);
  }

  /** Writes one unnamed event carrying {@code data} (UTF-8); does not flush. */
  public static void write(OutputStream out, String data) throws IOException {
    write(out, null, data);
  }

  /** Writes one event named {@code event} (none when null) carrying {@code data}; no flush. */
  public static void write(OutputStream out, String event, String data) throws IOException {
    if (event != null) {
      out.write(EVENT);
      out.write(event.getBytes(StandardCharsets.UTF_8));
      out.write(NEWLINE);
    }
    int from = 0;
    while (true) {
      int nl = nextLineBreak(data, from);
      out.write(DATA);
      out.write(data.substring(from, nl < 0 ? data.length() : nl).getBytes(StandardCharsets.UTF_8));
      out.write(NEWLINE);
      if (nl < 0) {
        break;
      }
      from =
          data.charAt(nl) == '\r' && nl + 1 < data.length() && data.charAt(nl + 1) == '\n'
              ? nl + 2
              : nl + 1;
    }
    out.write(NEWLINE);
  }

  private static int nextLineBreak(String s, int from) {
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\n' || c == '\r') {
        return i;
      }
    }
    return -1;
  }
}
