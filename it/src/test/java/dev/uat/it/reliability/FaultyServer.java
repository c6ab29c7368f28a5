package dev.uat.it.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP server that misbehaves as a dependency can: {@link Mode#HANG} accepts and never
 * answers (reads and discards), {@link Mode#SLOW} answers {@code 200} with an empty body after
 * {@link #delayMillis}, {@link Mode#ERROR} answers {@code 500}. For the trace backend ({@code
 * --otlp-endpoint}). Thread-safe.
 */
final class FaultyServer extends RawServer {
  enum Mode {
    HANG,
    SLOW,
    ERROR
  }

  volatile Mode mode;
  volatile long delayMillis = 5_000;
  final AtomicInteger requests = new AtomicInteger();

  FaultyServer(Mode mode) throws IOException {
    this.mode = mode;
  }

  String url() {
    return "http://127.0.0.1:" + port();
  }

  /** A port nothing listens on: connections are refused. */
  static int refusedPort() throws IOException {
    return Platform.freePort();
  }

  @Override
  void serve(Socket s) {
    try (s;
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream()) {
      byte[] buf = new byte[65536];
      while (true) {
        // one request: headers, then Content-Length bytes
        String head = readHead(in);
        if (head == null) {
          return;
        }
        long length = 0;
        for (String line : head.split("\r\n")) {
          if (line.toLowerCase().startsWith("content-length:")) {
            length = Long.parseLong(line.substring(15).strip());
          }
        }
        while (length > 0) {
          int n = in.read(buf, 0, (int) Math.min(buf.length, length));
          if (n < 0) {
            return;
          }
          length -= n;
        }
        requests.incrementAndGet();
        switch (mode) {
          case HANG -> {
            while (in.read(buf) >= 0) {
              // never answer
            }
            return;
          }
          case SLOW -> Thread.sleep(delayMillis);
          case ERROR -> {}
        }
        String status = mode == Mode.ERROR ? "500 Internal Server Error" : "200 OK";
        out.write(
            ("HTTP/1.1 "
                    + status
                    + "\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    } catch (IOException | RuntimeException e) {
      // the client went away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
