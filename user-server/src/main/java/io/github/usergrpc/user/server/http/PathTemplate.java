package io.github.usergrpc.user.server.http;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A path template of a {@code google.api.http} rule, such as {@code /v1/users/{id}} or
 * {@code /v1/users/{user_id}/activity:watch}: literal segments and single-segment variables (the subset
 * user.proto uses; {@code **} and nested field paths are not supported and rejected).
 */
final class PathTemplate {

  private static final Pattern VARIABLE = Pattern.compile("\\{([a-z_][a-z0-9_]*)}");

  private final String template;
  private final Pattern pattern;
  private final List<String> variables;

  private PathTemplate(String template, Pattern pattern, List<String> variables) {
    this.template = template;
    this.pattern = pattern;
    this.variables = variables;
  }

  /**
   * Parses a template.
   *
   * @param template the template of an HTTP rule
   * @return the template
   * @throws IllegalArgumentException for syntax beyond single-segment variables
   */
  static PathTemplate parse(String template) {
    if (!template.startsWith("/") || template.contains("*") || template.contains("=")) {
      throw new IllegalArgumentException("template: " + template
          + " (expected: literal segments and {field} variables)");
    }
    StringBuilder regex = new StringBuilder();
    List<String> variables = new ArrayList<>();
    Matcher matcher = VARIABLE.matcher(template);
    int last = 0;
    while (matcher.find()) {
      regex.append(Pattern.quote(template.substring(last, matcher.start())));
      regex.append("([^/:]+)");
      variables.add(matcher.group(1));
      last = matcher.end();
    }
    regex.append(Pattern.quote(template.substring(last)));
    return new PathTemplate(template, Pattern.compile(regex.toString()), List.copyOf(variables));
  }

  /**
   * Matches a request path.
   *
   * @param rawPath the path as sent, percent-encoded
   * @return the decoded variable values by field name, or empty when the path does not match
   */
  Optional<Map<String, String>> match(String rawPath) {
    Matcher matcher = pattern.matcher(rawPath);
    if (!matcher.matches()) {
      return Optional.empty();
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < variables.size(); i++) {
      values.put(variables.get(i), URLDecoder.decode(matcher.group(i + 1), StandardCharsets.UTF_8));
    }
    return Optional.of(values);
  }

  @Override
  public String toString() {
    return template;
  }
}
