package io.gantry.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.hpack.HpackDecoder;

/**
 * An HTTP/2 client that writes frames byte by byte, for what a well-behaved client never sends:
 * more streams than the server allows, a burst of HEADERS + RST_STREAM, a header block in a flood
 * of CONTINUATION frames. Header blocks are HPACK literals without indexing (no table, no Huffman),
 * so each one stands alone; the server's frames are collected by a reader thread, which also
 * acknowledges its SETTINGS.
 */
public final class RawH2 implements AutoCloseable {
  public static final int DATA = 0;
  public static final int HEADERS = 1;
  public static final int RST_STREAM = 3;
  public static final int SETTINGS = 4;
  public static final int GOAWAY = 7;
  public static final int CONTINUATION = 9;
  public static final int END_STREAM = 0x1;
  public static final int END_HEADERS = 0x4;
  public static final int REFUSED_STREAM = 0x7;
  public static final int CANCEL = 0x8;
  public static final int ENHANCE_YOUR_CALM = 0xb;

  /** A frame the server sent; type -1 marks the end of the connection. */
  public record Frame(int type, int flags, int stream, byte[] payload) {
    /** The error code of a RST_STREAM or GOAWAY. */
    public int errorCode() {
      ByteBuffer b = ByteBuffer.wrap(payload);
      return type == GOAWAY ? b.getInt(4) : b.getInt(0);
    }

    @Override
    public String toString() {
      return "Frame[type=" + type + ", flags=" + flags + ", stream=" + stream + ", length=" + payload.length + "]";
    }
  }

  private final SSLSocket socket;
  private final OutputStream out;
  private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
  private final HpackDecoder decoder = new HpackDecoder(1024 * 1024, System::nanoTime);

  /** Connects over TLS with ALPN {@code h2} and SNI {@code host}, and sends the preface and SETTINGS. */
  public RawH2(SSLContext context, String host, int port) throws IOException {
    Socket raw = new Socket();
    raw.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket = (SSLSocket) context.getSocketFactory().createSocket(raw, host, port, true);
    SSLParameters params = socket.getSSLParameters();
    params.setServerNames(List.of(new SNIHostName(host)));
    params.setApplicationProtocols(new String[] {"h2"});
    socket.setSSLParameters(params);
    socket.setSoTimeout(20_000);
    socket.startHandshake();
    if (!"h2".equals(socket.getApplicationProtocol())) {
      throw new IOException("ALPN chose '" + socket.getApplicationProtocol() + "' (expected: h2)");
    }
    out = socket.getOutputStream();
    write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    write(frame(SETTINGS, 0, 0, new byte[0]));
    Thread reader = new Thread(this::read, "raw-h2-reader");
    reader.setDaemon(true);
    reader.start();
  }

  private void read() {
    try {
      DataInputStream in = new DataInputStream(socket.getInputStream());
      while (true) {
        int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        byte[] payload = new byte[length];
        in.readFully(payload);
        if (type == SETTINGS && (flags & 0x1) == 0) {
          write(frame(SETTINGS, 0x1, 0, new byte[0]));
        }
        frames.add(new Frame(type, flags, stream, payload));
      }
    } catch (IOException e) {
      frames.add(new Frame(-1, 0, 0, new byte[0]));
    }
  }

  /** Writes bytes, false once the server has closed the connection. */
  public synchronized boolean write(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** One frame's bytes. */
  public static byte[] frame(int type, int flags, int stream, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(9 + payload.length);
    b.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
    b.put((byte) type).put((byte) flags).putInt(stream).put(payload);
    return b.array();
  }

  /** A HEADERS frame (END_HEADERS) for a request; {@code endStream}: no body follows. */
  public static byte[] headers(int stream, boolean endStream, Map<String, String> headers) {
    return frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, block(headers));
  }

  /** A RST_STREAM frame. */
  public static byte[] reset(int stream, int errorCode) {
    return frame(RST_STREAM, 0, stream, ByteBuffer.allocate(4).putInt(errorCode).array());
  }

  /** An HPACK header block: every field a literal without indexing, names lower case. */
  public static byte[] block(Map<String, String> headers) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    headers.forEach((name, value) -> {
      b.write(0);
      string(b, name);
      string(b, value);
    });
    return b.toByteArray();
  }

  private static void string(ByteArrayOutputStream b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
    int v = bytes.length;
    if (v < 127) {
      b.write(v);
    } else {
      b.write(127);
      v -= 127;
      while (v >= 128) {
        b.write((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      b.write(v);
    }
    b.writeBytes(bytes);
  }

  /** The request fields of {@code GET path} for {@code authority}, pseudo-headers first. */
  public static Map<String, String> get(String authority, String path) {
    Map<String, String> h = new java.util.LinkedHashMap<>();
    h.put(":method", "GET");
    h.put(":scheme", "https");
    h.put(":authority", authority);
    h.put(":path", path);
    return h;
  }

  /** The next frame that {@code matches}, skipping others; null when none comes within 10 s or the connection ends first. */
  public Frame await(Predicate<Frame> matches) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      Frame f = frames.poll(100, TimeUnit.MILLISECONDS);
      if (f != null && matches.test(f)) {
        return f;
      }
      if (f != null && f.type() == -1) {
        frames.add(f);
        return null;
      }
    }
    return null;
  }

  /** Whether the server closes the connection within 10 s. */
  public boolean awaitClosed() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      Frame f = frames.poll(100, TimeUnit.MILLISECONDS);
      if (f != null && f.type() == -1) {
        frames.add(f);
        return true;
      }
    }
    return false;
  }

  /** The status of the response HEADERS on {@code stream}, or -1 if the stream is reset or none comes. */
  public int status(int stream) throws Exception {
    Frame f = await(x -> x.stream() == stream && (x.type() == HEADERS || x.type() == RST_STREAM));
    if (f == null || f.type() == RST_STREAM) {
      return -1;
    }
    MetaData meta = decoder.decode(ByteBuffer.wrap(f.payload()));
    return meta instanceof MetaData.Response r ? r.getStatus() : -1;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
