package io.github.usergrpc.user.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One plaintext HTTP/2 connection written by hand, frame by frame, to send what no gRPC client would: a gRPC
 * call whose message framing is broken. The headers are HPACK literals without indexing or Huffman coding,
 * which every decoder must accept. What the server sends back is read and thrown away, so that its writes
 * never block.
 */
final class RawGrpcConnection implements AutoCloseable {

  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final int DATA = 0x0;
  private static final int HEADERS = 0x1;
  private static final int SETTINGS = 0x4;
  private static final int END_STREAM = 0x1;
  private static final int END_HEADERS = 0x4;

  private final Socket socket;
  private final OutputStream out;
  private final Thread drain;
  private final AtomicLong bytesRead = new AtomicLong();
  private int nextStreamId = 1;

  RawGrpcConnection(int port) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    out = socket.getOutputStream();
    out.write(PREFACE);
    writeFrame(SETTINGS, 0, 0, new byte[0]);
    out.flush();
    InputStream in = socket.getInputStream();
    drain = new Thread(() -> {
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          bytesRead.addAndGet(n);
        }
      } catch (IOException closed) {
        // The connection ended; nothing more to read.
      }
    }, "raw-grpc-drain");
    drain.setDaemon(true);
    drain.start();
  }

  /**
   * Opens a new stream calling {@code method} (such as {@code /user.UserService/GetUser}) and sends
   * {@code body} as its only DATA frame, ending the stream.
   */
  void call(String method, byte[] body) throws IOException {
    int streamId = nextStreamId;
    nextStreamId += 2;
    ByteArrayOutputStream headers = new ByteArrayOutputStream();
    header(headers, ":method", "POST");
    header(headers, ":scheme", "http");
    header(headers, ":path", method);
    header(headers, ":authority", "127.0.0.1");
    header(headers, "content-type", "application/grpc");
    header(headers, "te", "trailers");
    writeFrame(HEADERS, END_HEADERS, streamId, headers.toByteArray());
    writeFrame(DATA, END_STREAM, streamId, body);
    out.flush();
  }

  /** Returns how many bytes the server has sent so far. */
  long bytesRead() {
    return bytesRead.get();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private void writeFrame(int type, int flags, int streamId, byte[] payload) throws IOException {
    int length = payload.length;
    out.write(new byte[] {(byte) (length >>> 16), (byte) (length >>> 8), (byte) length, (byte) type,
        (byte) flags, (byte) (streamId >>> 24), (byte) (streamId >>> 16), (byte) (streamId >>> 8),
        (byte) streamId});
    out.write(payload);
  }

  /** Appends a literal header field without indexing, new name (RFC 7541 6.2.2); names and values < 127 bytes. */
  private static void header(ByteArrayOutputStream block, String name, String value) {
    byte[] n = name.getBytes(StandardCharsets.US_ASCII);
    byte[] v = value.getBytes(StandardCharsets.US_ASCII);
    block.write(0x00);
    block.write(n.length);
    block.write(n, 0, n.length);
    block.write(v.length);
    block.write(v, 0, v.length);
  }
}
