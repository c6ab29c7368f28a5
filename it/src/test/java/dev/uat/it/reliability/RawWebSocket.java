package dev.uat.it.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;

/**
 * A WebSocket client on a plain socket that can send any frame, well-formed or not: for the fuzzer
 * and the malformed-client tests. Not thread-safe.
 */
final class RawWebSocket implements AutoCloseable {
  final Socket socket;
  final InputStream in;
  final OutputStream out;
  final String handshakeStatus;
  private final Random random = new Random(1);

  /** Connects and sends the upgrade; {@link #handshakeStatus} is the status line received. */
  RawWebSocket(int port, String path, String extraHeaders) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(10_000);
    in = socket.getInputStream();
    out = socket.getOutputStream();
    byte[] key = new byte[16];
    random.nextBytes(key);
    out.write(
        ("GET "
                + path
                + " HTTP/1.1\r\nHost: 127.0.0.1:"
                + port
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(key)
                + "\r\n"
                + extraHeaders
                + "\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    String head = readHead(in);
    handshakeStatus = head.isEmpty() ? "" : head.substring(0, head.indexOf("\r\n"));
  }

  boolean upgraded() {
    return handshakeStatus.contains(" 101 ");
  }

  static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      b.write(c);
      byte[] a = b.toByteArray();
      int n = a.length;
      if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
        break;
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  /** A frame, masked as a client must (unless {@code masked} is false). */
  void frame(int firstByte, byte[] payload, boolean masked) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write(firstByte);
    int mask = masked ? 0x80 : 0;
    if (payload.length < 126) {
      f.write(mask | payload.length);
    } else if (payload.length < 65536) {
      f.write(mask | 126);
      f.write(payload.length >>> 8);
      f.write(payload.length);
    } else {
      f.write(mask | 127);
      for (int i = 7; i >= 0; i--) {
        f.write((int) ((long) payload.length >>> (8 * i)));
      }
    }
    if (masked) {
      byte[] m = new byte[4];
      random.nextBytes(m);
      f.writeBytes(m);
      byte[] p = payload.clone();
      for (int i = 0; i < p.length; i++) {
        p[i] ^= m[i & 3];
      }
      f.writeBytes(p);
    } else {
      f.writeBytes(payload);
    }
    out.write(f.toByteArray());
    out.flush();
  }

  void text(String s) throws IOException {
    frame(0x81, s.getBytes(StandardCharsets.UTF_8), true);
  }

  /**
   * Reads frames until a close frame arrives (its code), the socket ends (-1) or times out (-2).
   */
  int readUntilClose(int timeoutMillis) throws IOException {
    socket.setSoTimeout(timeoutMillis);
    try {
      while (true) {
        int b0 = in.read();
        if (b0 < 0) {
          return -1;
        }
        int b1 = in.read();
        if (b1 < 0) {
          return -1;
        }
        long len = b1 & 0x7F;
        if (len == 126) {
          len = (in.read() << 8) | in.read();
        } else if (len == 127) {
          len = 0;
          for (int i = 0; i < 8; i++) {
            len = (len << 8) | in.read();
          }
        }
        byte[] payload = in.readNBytes((int) len);
        if ((b0 & 0x0F) == 0x8) {
          return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }
      }
    } catch (java.net.SocketTimeoutException e) {
      return -2;
    } catch (IOException e) {
      return -1;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
