package io.gantry.proxy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's {@link ProxyHandler} under {@link RoutingProxyHandler}, for the upstreams that share one
 * HTTP client: it streams the bodies and handles interim responses; every decision is the flow's.
 * The hooks name the hop they are on (client or upstream); the upstream leg's types are Jetty's
 * client {@code Request} and {@code Response}, spelled out because the client leg's have the same
 * simple names.
 */
final class UpstreamForwarder extends ProxyHandler {
  /** How long Jetty has to finish an exchange whose upstream failed the request body (see answerIfJettyDoesNot). */
  private static final Duration UNANSWERED_GRACE = Duration.ofSeconds(1);

  private final UpstreamClients.Key key;
  private final ProxyFlow flow;

  UpstreamForwarder(UpstreamClients.Key key, ProxyFlow flow) {
    this.key = key;
    this.flow = flow;
    setViaHost("gantry"); // unused (the flow writes Via), but unset Jetty looks up the local host name
  }

  /** {@code clientRequest} with its exchange attached, as this forwarder's {@link #handle} takes it. */
  static Request routed(Request clientRequest, ProxyExchange exchange) {
    return new RoutedRequest(clientRequest, exchange);
  }

  /** The client request with its exchange attached, for the forwarder's hooks. */
  private static final class RoutedRequest extends Request.Wrapper {
    final ProxyExchange exchange;
    /** The listener of the upstream response, once the request is sent (see answerIfJettyDoesNot). */
    volatile ResponseForwarder forwarder;

    RoutedRequest(Request request, ProxyExchange exchange) {
      super(request);
      this.exchange = exchange;
    }
  }

  private static ProxyExchange exchange(Request clientRequest) {
    return ((RoutedRequest) clientRequest).exchange;
  }

  @Override
  protected HttpClient newHttpClient() {
    Server server = getServer();
    return new HttpClient(new HttpClientTransportOverHTTP(
        UpstreamClients.connector(key, server == null ? null : server.getThreadPool())));
  }

  @Override
  protected void configureHttpClient(HttpClient httpClient) {
    super.configureHttpClient(httpClient);
    UpstreamClients.configure(httpClient, key, flow.settings());
  }

  @Override
  protected HttpURI rewriteHttpURI(Request clientRequest) {
    return HttpURI.from(exchange(clientRequest).target());
  }

  @Override
  protected org.eclipse.jetty.client.Request newProxyToServerRequest(Request clientRequest, HttpURI target) {
    ProxyExchange exchange = exchange(clientRequest);
    // From the target string: HttpURI.toURI() would re-encode every component first.
    return getHttpClient().newRequest(exchange.target())
        .method(clientRequest.getMethod())
        .idleTimeout(exchange.route().upstream().idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  // ---- client request -> upstream request --------------------------------------------------

  @Override
  protected void copyRequestHeaders(Request clientRequest, org.eclipse.jetty.client.Request upstreamRequest) {
    upstreamRequest.headers(upstream -> flow.upstreamRequestHeaders(exchange(clientRequest), clientRequest, upstream));
  }

  @Override
  protected void addProxyHeaders(Request clientRequest, org.eclipse.jetty.client.Request upstreamRequest) {
    // Via and forwarding headers are part of upstreamRequestHeaders.
  }

  @Override
  protected org.eclipse.jetty.client.Request.Content newProxyToServerRequestContent(Request clientRequest,
      Response clientResponse, org.eclipse.jetty.client.Request upstreamRequest) {
    ProxyExchange exchange = exchange(clientRequest);
    return new ProxyRequestContent(clientRequest) {
      /** What the upstream side failed this content with (its connection died mid-body), if it did. */
      private volatile Throwable upstreamFailure;

      @Override
      public void fail(Throwable failure) {
        upstreamFailure = failure;
        super.fail(failure);
        answerIfJettyDoesNot(clientRequest, failure);
      }

      @Override
      public void fail(Throwable failure, boolean last) {
        upstreamFailure = failure;
        super.fail(failure, last);
        answerIfJettyDoesNot(clientRequest, failure);
      }

      @Override
      public Content.Chunk read() {
        Content.Chunk chunk = super.read();
        if (chunk != null) {
          if (Content.Chunk.isFailure(chunk)) {
            if (chunk.getFailure() != upstreamFailure && UpstreamFailures.clientSide(chunk.getFailure())) {
              exchange.clientFailed(chunk.getFailure()); // the client's body broke, not the upstream
            }
          } else {
            exchange.addBytesIn(chunk.remaining());
          }
        }
        return chunk;
      }
    };
  }

  @Override
  protected org.eclipse.jetty.client.Response.CompleteListener newServerToProxyResponseListener(
      Request clientRequest, org.eclipse.jetty.client.Request upstreamRequest, Response clientResponse,
      Callback callback) {
    return new ResponseForwarder(clientRequest, upstreamRequest, clientResponse, callback);
  }

  // ---- upstream response -> client response ------------------------------------------------

  /**
   * When the upstream's connection ends while the request body is still being sent, and its end is
   * seen first by the response side, Jetty's client (12.1.14) may leave the exchange unfinished: the
   * request content is failed, but the completion that answers the client never comes, and the
   * client would wait for its idle timeout. A response that has not begun by then never will (its
   * connection is gone), so the forwarder answers it after a grace that Jetty's own completion
   * always beats; whichever comes first answers.
   */
  private void answerIfJettyDoesNot(Request clientRequest, Throwable failure) {
    ResponseForwarder forwarder = ((RoutedRequest) clientRequest).forwarder;
    if (forwarder != null) {
      getHttpClient().getScheduler().schedule(() -> forwarder.failUnanswered(failure),
          UNANSWERED_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private final class ResponseForwarder extends ProxyResponseListener {
    private final ProxyExchange exchange;
    private final Request clientRequest;
    private final org.eclipse.jetty.client.Request upstreamRequest;
    private final Response clientResponse;
    private final Callback callback;
    private final AtomicBoolean completed = new AtomicBoolean();
    private volatile boolean responded;

    ResponseForwarder(Request clientRequest, org.eclipse.jetty.client.Request upstreamRequest,
        Response clientResponse, Callback callback) {
      super(clientRequest, upstreamRequest, clientResponse, callback);
      this.exchange = exchange(clientRequest);
      this.clientRequest = clientRequest;
      this.upstreamRequest = upstreamRequest;
      this.clientResponse = clientResponse;
      this.callback = callback;
      ((RoutedRequest) clientRequest).forwarder = this; // no attribute map per request
    }

    @Override
    public void onComplete(Result result) {
      if (completed.compareAndSet(false, true)) {
        super.onComplete(result);
      }
    }

    void failUnanswered(Throwable failure) {
      if (!responded && completed.compareAndSet(false, true)) {
        onServerToProxyResponseFailure(clientRequest, upstreamRequest, null, clientResponse, callback, failure);
      }
    }

    @Override
    public void onBegin(org.eclipse.jetty.client.Response upstreamResponse) {
      responded = true;
      super.onBegin(upstreamResponse);
    }

    @Override
    public void onHeaders(org.eclipse.jetty.client.Response upstreamResponse) {
      flow.responded(exchange, upstreamResponse.getStatus());
      HttpFields.Mutable client = clientResponse.getHeaders();
      flow.clientResponseHeaders(exchange, upstreamResponse.getHeaders(), (field, value) ->
          client.add(value.equals(field.getValue()) ? field : new HttpField(field.getHeader(), field.getName(), value)));
    }

    @Override
    public void onContent(org.eclipse.jetty.client.Response upstreamResponse, Content.Chunk chunk, Runnable demander) {
      exchange.addBytesOut(chunk.remaining());
      super.onContent(upstreamResponse, chunk, demander);
    }
  }

  // ---- failures ----------------------------------------------------------------------------

  @Override
  protected void onServerToProxyResponseFailure(Request clientRequest, org.eclipse.jetty.client.Request upstreamRequest,
      org.eclipse.jetty.client.Response upstreamResponse, Response clientResponse, Callback callback, Throwable failure) {
    ErrorResponse error = flow.failure(exchange(clientRequest), failure,
        upstreamResponse == null ? 0 : upstreamResponse.getStatus(),
        HttpHeaderValue.CONTINUE.is(clientRequest.getHeaders().get(HttpHeader.EXPECT)), clientResponse.isCommitted());
    if (error == null) {
      handle(clientRequest, clientResponse, callback); // the request has no body: send it again, to the new instance
      return;
    }
    if (clientResponse.isCommitted()) {
      // Mid-body: the only honest signal left is to abort the client connection.
      callback.failed(failure);
      return;
    }
    clientResponse.reset();
    error.writeTo(clientResponse, callback);
  }
}
