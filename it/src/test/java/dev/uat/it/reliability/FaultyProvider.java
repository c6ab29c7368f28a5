package dev.uat.it.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible model server on a raw socket that fails as a provider can: {@code GET
 * /v1/models} always answers (model {@code flaky}); {@code POST /v1/chat/completions} does what
 * {@link #mode} says. Thread-safe.
 */
final class FaultyProvider extends RawServer {
  enum Mode {
    OK,
    /** accepts, reads the request, never answers */
    HANG,
    /** answers correctly after 5 s */
    SLOW,
    /** 429 with Retry-After: 1 */
    RATE_LIMITED,
    /** 500 with an OpenAI error body */
    ERROR,
    /**
     * a 200 that stops partway, the connection closed: a stream after its first chunk, a whole
     * answer (the api asks for one when nobody reads the deltas) halfway through its body
     */
    DROP_MID_STREAM,
    /** closes the connection as soon as the request is read */
    RESET
  }

  volatile Mode mode = Mode.OK;
  final AtomicInteger chats = new AtomicInteger();

  FaultyProvider() throws IOException {}

  String url() {
    return "http://127.0.0.1:" + port() + "/v1";
  }

  @Override
  void serve(Socket s) {
    try (s;
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream()) {
      while (true) {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        long length = 0;
        boolean chunked = false;
        for (String line : head.split("\r\n")) {
          String l = line.toLowerCase();
          if (l.startsWith("content-length:")) {
            length = Long.parseLong(line.substring(15).strip());
          }
          if (l.startsWith("transfer-encoding:") && l.contains("chunked")) {
            chunked = true;
          }
        }
        String body = chunked ? readChunked(in) : new String(in.readNBytes((int) length));
        String requestLine = head.substring(0, head.indexOf("\r\n"));
        if (requestLine.contains("/models")) {
          send(
              out,
              "200 OK",
              "application/json",
              "{\"object\":\"list\",\"data\":[{\"id\":\"flaky\",\"object\":\"model\",\"created\":1,"
                  + "\"owned_by\":\"fault\"}]}",
              "");
          continue;
        }
        chats.incrementAndGet();
        Mode m = mode;
        switch (m) {
          case HANG -> {
            while (in.read() >= 0) {
              // never answer
            }
            return;
          }
          case RESET -> {
            return;
          }
          case RATE_LIMITED -> {
            send(
                out,
                "429 Too Many Requests",
                "application/json",
                "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\"}}",
                "Retry-After: 1\r\n");
            continue;
          }
          case ERROR -> {
            send(
                out,
                "500 Internal Server Error",
                "application/json",
                "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}",
                "");
            continue;
          }
          case SLOW -> Thread.sleep(5_000);
          default -> {}
        }
        boolean stream = body.replace(" ", "").contains("\"stream\":true");
        String head0 = "{\"id\":\"chatcmpl-f\",\"created\":1,\"model\":\"flaky\",";
        String chunk1 =
            "data: "
                + head0
                + "\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
                + "{\"role\":\"assistant\",\"content\":\"flaky \"},\"finish_reason\":null}]}\n\n";
        if (!stream && m == Mode.DROP_MID_STREAM) {
          String whole = head0 + "\"object\":\"chat.completion\",\"choices\":[{\"index\":0,";
          out.write(
              ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                      + (2 * whole.length())
                      + "\r\nConnection: close\r\n\r\n"
                      + whole)
                  .getBytes(StandardCharsets.UTF_8));
          out.flush();
          Thread.sleep(50);
          return; // closed halfway through the body
        }
        if (!stream) {
          send(
              out,
              "200 OK",
              "application/json",
              head0
                  + "\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                  + "\"assistant\",\"content\":\"flaky answer\"},\"finish_reason\":\"stop\"}],"
                  + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}",
              "");
          continue;
        }
        if (m == Mode.DROP_MID_STREAM) {
          out.write(
              ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                      + chunk1)
                  .getBytes(StandardCharsets.UTF_8));
          out.flush();
          Thread.sleep(50);
          return; // closed mid-stream, no [DONE]
        }
        String sse =
            chunk1
                + "data: "
                + head0
                + "\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
                + "{\"content\":\"answer\"},\"finish_reason\":\"stop\"}]}\n\n"
                + "data: "
                + head0
                + "\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":"
                + "{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n"
                + "data: [DONE]\n\n";
        send(out, "200 OK", "text/event-stream", sse, "");
      }
    } catch (IOException | RuntimeException e) {
      // the client went away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String readChunked(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    while (true) {
      StringBuilder sizeLine = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\n') {
        sizeLine.append((char) c);
      }
      int size = Integer.parseInt(sizeLine.toString().strip().split(";")[0], 16);
      if (size == 0) {
        in.readNBytes(2);
        return b.toString();
      }
      b.append(new String(in.readNBytes(size), StandardCharsets.UTF_8));
      in.readNBytes(2);
    }
  }

  private static void send(OutputStream out, String status, String type, String body, String extra)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    out.write(
        ("HTTP/1.1 "
                + status
                + "\r\nContent-Type: "
                + type
                + "\r\nContent-Length: "
                + bytes.length
                + "\r\n"
                + extra
                + "\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.write(bytes);
    out.flush();
  }
}
