package io.gantry.server.accesslog;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gantry.server.testing.Await;
import io.gantry.server.testing.Backend;
import io.gantry.server.testing.Gantry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Access log lines written by Jetty for real requests through the proxy. */
class AccessLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern COMBINED = Pattern.compile(
      "(\\S+) - - \\[([^\\]]+)\\] \"(\\S+) (\\S+) (\\S+)\" (\\d{3}) (\\d+) \"((?:[^\"\\\\]|\\\\.)*)\" \"((?:[^\"\\\\]|\\\\.)*)\" (\\S+) (\\S+) (\\d+)");
  private Gantry gantry;

  @AfterEach
  void stop() throws Exception {
    if (gantry != null) {
      gantry.close();
    }
  }

  @Test
  void combinedLineCarriesTheExchangesRequestIdRouteAndDuration() throws Exception {
    gantry = new Gantry(AccessLog.Format.COMBINED);
    given().port(gantry.proxyPort()).header("User-Agent", "docker/27.0").header("Referer", "http://ui.test/")
        .get("/v2/bytes/321?n=1").then().statusCode(200);

    String line = gantry.nextAccessLine();
    Matcher m = COMBINED.matcher(line);
    assertTrue(m.matches(), line);
    assertEquals("127.0.0.1", m.group(1));
    assertTrue(m.group(2).matches("\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}"), m.group(2));
    assertEquals("GET", m.group(3));
    assertEquals("/v2/bytes/321?n=1", m.group(4));
    assertEquals("HTTP/1.1", m.group(5));
    assertEquals("200", m.group(6));
    assertEquals("321", m.group(7));
    assertEquals("http://ui.test/", m.group(8));
    assertEquals("docker/27.0", m.group(9));
    // gantry generated the id (the client sent none); the log shows the one sent upstream.
    Backend.Seen seen = gantry.backend.seen().poll(5, TimeUnit.SECONDS);
    assertNotNull(seen);
    assertEquals(seen.requestId(), m.group(10));
    assertTrue(m.group(10).matches("[0-9a-f]{32}"), m.group(10));
    assertEquals("pull", m.group(11));
  }

  @Test
  void jsonLineHasEveryField() throws Exception {
    gantry = new Gantry(AccessLog.Format.JSON);
    given().port(gantry.proxyPort()).header("X-Request-Id", "client-id-1").header("User-Agent", "docker/27.0")
        .body("hello").put("/v2/status/201").then().statusCode(201);

    JsonNode json = JSON.readTree(gantry.nextAccessLine());
    assertEquals(Set.of("time", "remote", "method", "uri", "protocol", "status", "bytes", "referer", "user_agent",
        "request_id", "route", "duration_ms", "host"), fieldNames(json));
    assertEquals("PUT", json.get("method").asText());
    assertEquals("/v2/status/201", json.get("uri").asText());
    assertEquals("HTTP/1.1", json.get("protocol").asText());
    assertEquals(201, json.get("status").asInt());
    assertEquals(6, json.get("bytes").asLong()); // "status"
    assertTrue(json.get("referer").isNull());
    assertEquals("docker/27.0", json.get("user_agent").asText());
    assertEquals("client-id-1", json.get("request_id").asText());
    assertEquals("push", json.get("route").asText());
    assertTrue(json.get("duration_ms").isIntegralNumber() && json.get("duration_ms").asLong() >= 0);
    assertEquals("127.0.0.1", json.get("remote").asText());
    assertEquals("localhost", json.get("host").asText()); // REST Assured's Host header
    assertTrue(json.get("time").asText().matches("\\d{4}-\\d{2}-\\d{2}T.*Z"), json.get("time").asText());
  }

  @Test
  void unroutedAndFailedRequestsAreLoggedToo() throws Exception {
    gantry = new Gantry(AccessLog.Format.JSON);
    given().port(gantry.proxyPort()).get("/nowhere").then().statusCode(404);
    JsonNode unrouted = JSON.readTree(gantry.nextAccessLine());
    assertEquals(404, unrouted.get("status").asInt());
    assertEquals("-", unrouted.get("route").asText());
    assertTrue(unrouted.get("request_id").asText().matches("[0-9a-f]{32}"), "the exchange's generated id");

    given().port(gantry.proxyPort()).get("/down/x").then().statusCode(502);
    JsonNode failed = JSON.readTree(gantry.nextAccessLine());
    assertEquals(502, failed.get("status").asInt());
    assertEquals("down", failed.get("route").asText());
  }

  @Test
  void secretQueryValuesAreMaskedAndCredentialsNeverLogged() throws Exception {
    gantry = new Gantry(AccessLog.Format.JSON);
    given().port(gantry.proxyPort())
        .header("Authorization", "Bearer top-secret-bearer")
        .header("Cookie", "session=top-secret-cookie")
        .header("Proxy-Authorization", "Basic top-secret-proxy")
        .urlEncodingEnabled(false)
        .get("/v2/x?scope=repo&token=top-secret-1&X-Amz-Signature=top-secret-2&X-Amz-Credential=top-secret-3"
            + "&password=top-secret-4&n=2&api_key=top-secret-5&access%5Ftoken=top-secret-6")
        .then().statusCode(200);

    String line = gantry.nextAccessLine();
    assertFalse(line.contains("top-secret"), line);
    assertFalse(line.toLowerCase().contains("bearer") || line.toLowerCase().contains("cookie"), line);
    assertEquals("/v2/x?scope=repo&token=***&X-Amz-Signature=***&X-Amz-Credential=***&password=***&n=2"
        + "&api_key=***&access%5Ftoken=***", JSON.readTree(line).get("uri").asText());
  }

  @Test
  void maskingKeepsEverythingElseAsSent() {
    List<String[]> rows = List.of(
        new String[] {"/v2/", null, "/v2/"},
        new String[] {"", null, "/"},
        new String[] {"/p", "", "/p?"},
        new String[] {"/p", "a=1&b=2", "/p?a=1&b=2"},
        new String[] {"/p", "sig=abc", "/p?sig=***"},
        new String[] {"/p", "SIGNATURE=abc&keyword=x", "/p?SIGNATURE=***&keyword=x"},
        new String[] {"/p", "key=k&monkey=m&auth=a", "/p?key=***&monkey=m&auth=***"},
        new String[] {"/p", "flag&token&x-amz-security-token=t", "/p?flag&token&x-amz-security-token=***"},
        new String[] {"/p", "passwd=a=b&&secret=", "/p?passwd=***&&secret=***"},
        new String[] {"/p", "client_secret=s&refresh_token=r&%ZZ=v", "/p?client_secret=***&refresh_token=***&%ZZ=***"});
    for (String[] row : rows) {
      assertEquals(row[2], AccessLog.maskQuery(row[0], row[1]), String.join(" | ", java.util.Arrays.asList(row)));
    }
  }

  @Test
  void hostileHeadersAreEscapedInBothFormats() throws Exception {
    // What HTTP lets through in a header value: quotes, backslashes, tabs, Latin-1.
    String agent = "evil\"agent\\ \tx é";
    gantry = new Gantry(AccessLog.Format.JSON);
    given().port(gantry.proxyPort()).header("User-Agent", agent).header("Referer", "a\"b").get("/v2/x").then().statusCode(200);
    String jsonLine = gantry.nextAccessLine();
    assertFalse(jsonLine.contains("\t"), jsonLine);
    JsonNode json = JSON.readTree(jsonLine);
    assertEquals(agent, json.get("user_agent").asText(), "JSON escaping round-trips");
    assertEquals("a\"b", json.get("referer").asText());
    gantry.close();

    gantry = new Gantry(AccessLog.Format.COMBINED);
    given().port(gantry.proxyPort()).header("User-Agent", agent).get("/v2/x").then().statusCode(200);
    String line = gantry.nextAccessLine();
    Matcher m = COMBINED.matcher(line);
    assertTrue(m.matches(), line);
    assertEquals("evil\\\"agent\\\\ \\x09x é", m.group(9));
  }

  @Test
  void controlCharactersCannotBreakALine() throws Exception {
    String hostile = "a\"\\\n\r\u0000\u0001\u001f\u007f\u2028\u2029\b\f\t€😀";
    String json = AccessLog.field(new StringBuilder("{"), "v", hostile).append('}').toString();
    for (char c : json.toCharArray()) {
      assertTrue(c >= 0x20 && c != 0x7f && c != '\u2028' && c != '\u2029', "raw control character in " + json);
    }
    assertEquals(hostile, JSON.readTree(json).get("v").asText());
    assertEquals("{\"v\":null}", AccessLog.field(new StringBuilder("{"), "v", null).append('}').toString());

    String ncsa = AccessLog.quoted(new StringBuilder(), hostile).toString();
    assertEquals("a\\\"\\\\\\x0a\\x0d\\x00\\x01\\x1f\\x7f\u2028\u2029\\x08\\x0c\\x09€😀", ncsa);
    assertEquals("id_with_spaces__", AccessLog.token(new StringBuilder(), "id with\nspaces \"").toString());
  }

  @Test
  void requestsOutsideTheProxyFallBackToTheRequestIdHeader() throws Exception {
    List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server, 1, 1);
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
          Callback callback) {
        response.setStatus(204);
        callback.succeeded();
        return true;
      }
    });
    server.setRequestLog(new AccessLog(AccessLog.Format.JSON, lines::add));
    server.start();
    try {
      given().port(connector.getLocalPort()).header("X-Request-Id", "abc-123").get("/plain").then().statusCode(204);
      given().port(connector.getLocalPort()).get("/plain").then().statusCode(204);
      Await.equal(2, lines::size);
      JsonNode withId = JSON.readTree(lines.get(0));
      assertEquals("abc-123", withId.get("request_id").asText());
      assertEquals("-", withId.get("route").asText());
      assertEquals(0, withId.get("bytes").asLong());
      assertTrue(JSON.readTree(lines.get(1)).get("request_id").isNull());
    } finally {
      server.stop();
    }
  }

  @Test
  void fileOutputAppendsOneLinePerRequest(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("access.log");
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server, 1, 1);
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
          Callback callback) {
        response.setStatus(200);
        org.eclipse.jetty.io.Content.Sink.write(response, true, "ok", callback);
        return true;
      }
    });
    server.setRequestLog(AccessLog.toFile(AccessLog.Format.COMBINED, file.toString()));
    server.start();
    try {
      given().port(connector.getLocalPort()).get("/a?token=t0p").then().statusCode(200);
      given().port(connector.getLocalPort()).get("/b").then().statusCode(200);
      Await.until("two lines in " + file, () -> lines(file).size() == 2);
      List<String> lines = lines(file);
      assertTrue(lines.get(0).contains("\"GET /a?token=*** HTTP/1.1\" 200 2 "), lines.get(0));
      assertTrue(lines.get(1).contains("\"GET /b HTTP/1.1\" 200 2 "), lines.get(1));
    } finally {
      server.stop();
    }
  }

  @Test
  void formatNamesAreParsedStrictly() {
    assertEquals(AccessLog.Format.JSON, AccessLog.Format.of("JSON"));
    assertEquals(AccessLog.Format.COMBINED, AccessLog.Format.of("combined"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AccessLog.Format.of("common"));
    assertEquals("format: common (expected: combined or json)", e.getMessage());
    assertEquals(AccessLog.LOGGER_NAME, "gantry.access");
  }

  private static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Set<String> fieldNames(JsonNode json) {
    Set<String> names = new java.util.HashSet<>();
    json.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
