package io.gantry.server.connector;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * Prepares HTTP/2 request bodies for the proxy, which was written for HTTP/1.1's:
 *
 * <ul>
 *   <li><b>Bodies without {@code Content-Length}</b> (a streamed {@code PATCH} from Docker, {@code
 *       curl -T -}): HTTP/2 has no {@code Transfer-Encoding}, and Jetty's proxies decide that a
 *       request without either header has no body, so the upstream got an empty request and the
 *       client's bytes were dropped (measured: {@code X-Sink-Bytes: 0} for a 3 MiB upload). Such a
 *       request whose stream is still open shows {@code Transfer-Encoding: chunked} to the proxy,
 *       which then streams it upstream chunked (the header itself never crosses: it is hop-by-hop).
 *   <li><b>Reads of up to {@link #READ_SIZE}</b> instead of one DATA frame (16 KiB or less from curl
 *       and Go) each: the frames already received are copied into one pooled direct buffer, so
 *       the upstream gets one write where it got four or more.
 * </ul>
 *
 * HTTP/1.1 requests and HTTP/2 requests without a body pass untouched.
 */
public final class Http2RequestBodies extends Handler.Wrapper {
  /** The largest read handed to the proxy: HTTP/1.1 bodies are read 64 KiB at a time too. */
  static final int READ_SIZE = 64 * 1024;

  public Http2RequestBodies(Handler next) {
    super(next);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (request.getConnectionMetaData().getHttpVersion() != HttpVersion.HTTP_2 || request.getLength() == 0) {
      return super.handle(request, response, callback);
    }
    Content.Chunk first = null;
    boolean unknownLength = request.getLength() < 0;
    if (unknownLength) {
      first = request.read(); // EOF right away: the HEADERS frame ended the stream, no body
      if (first != null && first.isLast() && !first.hasRemaining() && !Content.Chunk.isFailure(first)) {
        first.release();
        return super.handle(request, response, callback);
      }
    }
    return super.handle(new Body(request, first, unknownLength), response, callback);
  }

  /** The request with its body read in larger pieces, and a chunked marker when its length is unknown. */
  static final class Body extends Request.Wrapper {
    private final HttpFields headers;
    private Content.Chunk pending;

    Body(Request request, Content.Chunk first, boolean unknownLength) {
      super(request);
      this.pending = first;
      this.headers = unknownLength && !request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)
          ? HttpFields.build(request.getHeaders()).add(HttpHeader.TRANSFER_ENCODING, HttpHeaderValue.CHUNKED.asString())
              .asImmutable()
          : request.getHeaders();
    }

    @Override
    public HttpFields getHeaders() {
      return headers;
    }

    @Override
    public Content.Chunk read() {
      Content.Chunk first = pending != null ? pending : super.read();
      pending = null;
      if (first == null || first.isLast() || Content.Chunk.isFailure(first) || first.remaining() * 2 > READ_SIZE) {
        return first;
      }
      RetainableByteBuffer merged = null;
      ByteBuffer out = null;
      boolean last = false;
      while (true) {
        Content.Chunk next = super.read();
        if (next == null) {
          break;
        }
        int room = out != null ? out.remaining() : READ_SIZE - first.remaining();
        if (Content.Chunk.isFailure(next) || next.remaining() > room) {
          pending = next; // handed out by the next read
          break;
        }
        if (merged == null) {
          merged = getComponents().getByteBufferPool().acquire(READ_SIZE, true);
          out = merged.getByteBuffer();
          BufferUtil.flipToFill(out);
          out.put(first.getByteBuffer());
          first.release();
        }
        out.put(next.getByteBuffer());
        last = next.isLast();
        next.release();
        if (last) {
          break;
        }
      }
      if (merged == null) {
        return first;
      }
      out.flip();
      RetainableByteBuffer buffer = merged;
      return Content.Chunk.from(out, last, (Runnable) buffer::release);
    }

    @Override
    public void demand(Runnable demandCallback) {
      if (pending != null) {
        demandCallback.run(); // a chunk is waiting: readable now
      } else {
        super.demand(demandCallback);
      }
    }
  }
}
