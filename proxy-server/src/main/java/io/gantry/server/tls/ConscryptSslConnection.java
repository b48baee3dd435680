package io.gantry.server.tls;

import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import org.conscrypt.AllocatedBuffer;
import org.conscrypt.BufferAllocator;
import org.conscrypt.Conscrypt;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Jetty's TLS connection on a Conscrypt engine, without Conscrypt's per-connection buffer.
 *
 * <p>Conscrypt hands BoringSSL native memory only. Given a heap buffer, or several buffers to
 * wrap (Jetty writes a response's header and body as two), it copies them into a 16.7 KB direct
 * buffer that it allocates once per engine and keeps until the connection closes
 * (ConscryptEngine.getOrCreateLazyDirectBuffer, Conscrypt 2.5.2; conscrypt#974). An idle
 * keep-alive connection then held 37 KiB of RSS instead of the JDK's 7.5 (measured with 5,000),
 * and 4,000 connections filled gantry's 64 MiB direct-memory limit. Here the copies go through
 * one buffer per thread instead: several buffers to wrap are gathered into it first, and every
 * other copy Conscrypt makes uses it through a {@link BufferAllocator}.
 */
final class ConscryptSslConnection extends SslConnection {
  /** BoringSSL's largest record: 16 KiB of plaintext plus header, padding and tag (SSL3_RT_MAX_PACKET_SIZE). */
  private static final int RECORD = 16 * 1024 + 325;
  /** Conscrypt wraps at most this much plaintext into one record. */
  private static final int MAX_PLAINTEXT = 16 * 1024;

  private static final ThreadLocal<ByteBuffer> GATHER = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(MAX_PLAINTEXT));
  private static final BufferAllocator PER_THREAD = new PerThreadAllocator();
  private static final ByteBuffer[] EMPTY = {ByteBuffer.allocate(0)};

  ConscryptSslConnection(ByteBufferPool pool, Executor executor, SslContextFactory factory, EndPoint endPoint,
      SSLEngine engine, boolean directEncrypted, boolean directDecrypted) {
    super(pool, executor, factory, endPoint, engine, directEncrypted, directDecrypted);
    Conscrypt.setBufferAllocator(engine, PER_THREAD);
  }

  /** Whether {@code engine} is Conscrypt's; by name, so that a JDK engine loads no Conscrypt class. */
  static boolean isConscrypt(SSLEngine engine) {
    return engine.getClass().getName().startsWith("org.conscrypt.");
  }

  @Override
  public void onClose(Throwable cause) {
    super.onClose(cause);
    free(getSSLEngine());
  }

  /**
   * Frees BoringSSL's side of {@code engine} now rather than at a later GC. Conscrypt frees it
   * once both directions are done, but its close_notify waits in BoringSSL for a wrap that never
   * comes when the socket is already closed, and until a finalizer ran, each closed connection
   * kept its native state and two pipe descriptors (6,009 pipes open after 3,000 connections).
   */
  private static void free(SSLEngine engine) {
    try {
      engine.closeOutbound();
      ByteBuffer discard = GATHER.get();
      for (int i = 0; i < 4 && !engine.isOutboundDone(); i++) {
        discard.clear();
        engine.wrap(EMPTY, discard);
      }
      engine.closeInbound();
    } catch (SSLException | RuntimeException e) {
      // The connection is closed either way; what is left is the finalizer's.
    }
  }

  @Override
  protected SSLEngineResult wrap(SSLEngine engine, ByteBuffer[] input, ByteBuffer output) throws SSLException {
    int nonEmpty = 0;
    for (ByteBuffer b : input) {
      if (b.hasRemaining() && ++nonEmpty > 1) {
        break;
      }
    }
    if (nonEmpty <= 1) {
      return super.wrap(engine, input, output);
    }
    // Wrap calls run under the connection's lock and Conscrypt is done with the buffer when
    // wrap returns, so a thread's buffer is never shared.
    ByteBuffer gather = GATHER.get();
    gather.clear();
    for (ByteBuffer b : input) {
      if (!gather.hasRemaining()) {
        break;
      }
      ByteBuffer slice = b.duplicate();
      slice.limit(slice.position() + Math.min(slice.remaining(), gather.remaining()));
      gather.put(slice);
    }
    gather.flip();
    SSLEngineResult result = super.wrap(engine, new ByteBuffer[] {gather}, output);
    int consumed = result.bytesConsumed();
    for (ByteBuffer b : input) {
      int n = Math.min(consumed, b.remaining());
      b.position(b.position() + n);
      consumed -= n;
    }
    return result;
  }

  /**
   * The direct buffer Conscrypt copies heap data through within one wrap or unwrap, released
   * before that call returns. A second request while the thread's buffer is out (not seen) or
   * one larger than a record gets a buffer of its own.
   */
  private static final class PerThreadAllocator extends BufferAllocator {
    private static final ThreadLocal<Lent> LENT = ThreadLocal.withInitial(Lent::new);

    @Override
    public AllocatedBuffer allocateDirectBuffer(int capacity) {
      Lent lent = LENT.get();
      if (lent.out || capacity > RECORD) {
        return AllocatedBuffer.wrap(ByteBuffer.allocateDirect(capacity));
      }
      lent.out = true;
      lent.buffer.clear().limit(capacity);
      return lent;
    }

    private static final class Lent extends AllocatedBuffer {
      final ByteBuffer buffer = ByteBuffer.allocateDirect(RECORD);
      boolean out;

      @Override
      public ByteBuffer nioBuffer() {
        return buffer;
      }

      @Override
      public AllocatedBuffer release() {
        out = false;
        return this;
      }
    }
  }
}
