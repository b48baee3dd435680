package io.gantry.proxy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.eclipse.jetty.http.HttpException;

/**
 * What a client is told when an exchange fails, on either leg: the status, and a message that
 * names the route, never an address.
 */
final class UpstreamFailures {
  private UpstreamFailures() {}

  /** 504 for timeouts, 503 when the upstream's queue is full, 502 for everything else. */
  static int status(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof TimeoutException || t instanceof SocketTimeoutException) {
        return 504;
      }
      if (t instanceof RejectedExecutionException) {
        return 503; // the upstream's queue is full: back off and retry
      }
      if (t instanceof ConnectException || t instanceof NoRouteToHostException
          || t instanceof UnknownHostException || t instanceof UnresolvedAddressException
          || t instanceof SSLException) {
        return 502;
      }
    }
    return 502;
  }

  /**
   * Whether {@code failure} happened before anything was sent: the connection to the instance
   * could not be opened (refused, unreachable, unresolvable, or its connect timeout passed).
   */
  static boolean neverSent(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof NoRouteToHostException || t instanceof UnknownHostException
          || t instanceof UnresolvedAddressException) {
        return true;
      }
      if (t instanceof SocketTimeoutException && String.valueOf(t.getMessage()).startsWith("Connect")) {
        return true; // Jetty's ClientConnector: "Connect Timeout"
      }
    }
    return false;
  }

  /** A failure in a few words for operators (the admin side): its type and message, no stack. */
  static String describe(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /**
   * Whether a failure reading the client's body can be the client's doing: a malformed body
   * (Jetty's 4xx), a client that stopped sending, ended early or went away (an I/O error). Anything
   * else (Jetty's request buffer already released, an assertion) is the server side racing the end
   * of an exchange that the upstream's failure is already ending, never the client's fault.
   */
  static boolean clientSide(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof HttpException || t instanceof IOException || t instanceof TimeoutException) {
        return true;
      }
    }
    return false;
  }

  /**
   * The status for a request body the client failed to deliver: Jetty's own 4xx for a malformed
   * body (bad chunk size, chunk size overflow), 408 for a client that stopped sending, 400 for one
   * that ended early or went away.
   */
  static int clientStatus(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof HttpException http && http.getCode() >= 400 && http.getCode() < 500) {
        return http.getCode();
      }
      if (t instanceof TimeoutException || t instanceof SocketTimeoutException) {
        return 408;
      }
    }
    return 400;
  }

  /** Names the route, never the upstream's address. */
  static String message(int status, ProxyExchange exchange) {
    String route = exchange == null ? "-" : exchange.routeName();
    return switch (status) {
      case 503 -> "upstream of route '" + route + "' is busy, retry later";
      case 504 -> "upstream of route '" + route + "' timed out";
      case 408 -> "request body not received in time";
      case 500 -> "request failed";
      default -> status < 500 ? "request body malformed or incomplete" : "upstream of route '" + route + "' is unavailable";
    };
  }
}
