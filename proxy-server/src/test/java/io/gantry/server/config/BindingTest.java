package io.gantry.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Two listeners on one port: the same address, or either on a wildcard; port 0 never clashes. */
class BindingTest {

  @ParameterizedTest(name = "{0}:{1} then {2}:{3} -> {4}")
  @CsvSource({
      "0.0.0.0,   8080, 127.0.0.1, 8080, true",
      "127.0.0.1, 8080, 0.0.0.0,   8080, true",
      "127.0.0.1, 8080, 127.0.0.1, 8080, true",
      "127.0.0.1, 8080, 127.0.0.2, 8080, false",
      "::,        8080, 10.0.0.1,  8080, true",
      "'[::]',    8080, 10.0.0.1,  8080, true",
      "*,         8080, 10.0.0.1,  8080, true",
      "0.0.0.0,   8080, 0.0.0.0,   8081, false",
      "0.0.0.0,   0,    0.0.0.0,   0,    false",
  })
  void clash(String firstHost, int firstPort, String host, int port, boolean expected) {
    Binding first = new Binding(firstHost, firstPort, "gantry.listeners[0]", 3);
    assertEquals(expected ? first : null, Binding.clash(List.of(first), host, port));
  }
}
