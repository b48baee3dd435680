package io.gantry.proxy;

import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletContext;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Servlet init parameters with gantry's defaults underneath. */
final class DefaultingConfig implements ServletConfig {
  private final ServletConfig config;
  private final Map<String, String> defaults;

  DefaultingConfig(ServletConfig config, Map<String, String> defaults) {
    this.config = config;
    this.defaults = defaults;
  }

  @Override
  public String getServletName() {
    return config.getServletName();
  }

  @Override
  public ServletContext getServletContext() {
    return config.getServletContext();
  }

  @Override
  public String getInitParameter(String name) {
    String value = config.getInitParameter(name);
    return value != null ? value : defaults.get(name);
  }

  @Override
  public Enumeration<String> getInitParameterNames() {
    Set<String> names = new HashSet<>(defaults.keySet());
    names.addAll(Collections.list(config.getInitParameterNames()));
    return Collections.enumeration(names);
  }
}
