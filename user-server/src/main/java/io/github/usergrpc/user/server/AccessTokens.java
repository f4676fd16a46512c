package io.github.usergrpc.user.server;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The bearer tokens a server accepts, each with the {@link Principal} it stands for and the scopes it grants.
 * Only SHA-256 hashes of the tokens are kept, in memory and in the token file, so that the file does not give
 * the tokens away. Immutable and thread-safe.
 *
 * <h2>Token file</h2>
 * One token per line; blank lines and lines starting with {@code #} are ignored:
 *
 * <pre>
 * # hash of the token                                                      principal   scopes
 * sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 billing-svc users:read
 * sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752 admin-tool  users:read,users:write
 * </pre>
 *
 * <ul>
 *   <li>the hash is {@code sha256:} and the 64 hex digits of the SHA-256 of the token's UTF-8 bytes, exactly
 *       as clients send it after {@code authorization: Bearer }: see {@link #hash(String)}, {@code java -jar
 *       user-server.jar --hash-token < token-file}, or {@code printf '%s' "$TOKEN" | sha256sum};
 *   <li>the principal is a name of 1 to 128 letters, digits and {@code . _ - @ : /}; several tokens may
 *       share one, so that a token can be rotated;
 *   <li>the scopes, separated by commas without spaces, are {@value #READ_SCOPE} (GetUser, ListUsers,
 *       WatchUserActivity) and {@value #WRITE_SCOPE} (CreateUser, UpdateUser, DeleteUser, RecordActivity);
 *       one does not imply the other.
 * </ul>
 *
 * <p>Tokens must be random (at least 128 bits, such as {@code openssl rand -base64 32}): an unsalted hash
 * protects a random token, not a guessable one.
 */
public final class AccessTokens {

  /** The scope that GetUser, ListUsers and WatchUserActivity need. */
  public static final String READ_SCOPE = "users:read";
  /** The scope that CreateUser, UpdateUser, DeleteUser and RecordActivity need. */
  public static final String WRITE_SCOPE = "users:write";

  private static final Set<String> SCOPES = Set.of(READ_SCOPE, WRITE_SCOPE);
  private static final String HASH_PREFIX = "sha256:";
  private static final Pattern HASH = Pattern.compile("sha256:[0-9a-fA-F]{64}");
  private static final Pattern PRINCIPAL = Pattern.compile("[A-Za-z0-9._\\-@:/]{1,128}");

  private final List<Entry> entries;

  private AccessTokens(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /**
   * Reads a token file.
   *
   * @param file the token file, UTF-8
   * @return the tokens
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if a line is malformed, naming the file and the line (never its
   *     content), or if the file holds no token
   */
  public static AccessTokens load(Path file) throws IOException {
    requireNonNull(file, "file");
    String text = Files.readString(file, StandardCharsets.UTF_8);
    try {
      return parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses the content of a token file.
   *
   * @param text the lines of a token file
   * @return the tokens
   * @throws IllegalArgumentException if a line is malformed, naming the line (never its content), or if
   *     there is no token
   */
  public static AccessTokens parse(String text) {
    requireNonNull(text, "text");
    List<Entry> entries = new ArrayList<>();
    List<String> lines = text.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Entry entry = parseLine(i + 1, line);
      for (Entry earlier : entries) {
        if (earlier.sameTokenAs(entry)) {
          throw new IllegalArgumentException("line " + (i + 1) + ": the same token as line " + earlier.line);
        }
      }
      entries.add(entry);
    }
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("no tokens (expected: lines of sha256:<hex> <principal> <scopes>)");
    }
    return new AccessTokens(entries);
  }

  /**
   * Returns the hash of {@code token} as the token file holds it: {@code sha256:} and the lowercase hex
   * SHA-256 of the token's UTF-8 bytes.
   *
   * @param token the token, as clients send it after {@code Bearer }
   * @return the line's first field
   */
  public static String hash(String token) {
    return HASH_PREFIX + HexFormat.of().formatHex(sha256(requireNonNull(token, "token")));
  }

  /** Returns the number of tokens. */
  public int size() {
    return entries.size();
  }

  /**
   * Returns the principal of {@code token}, if it is one of these tokens. Compares the token's hash with
   * every known hash in constant time, whichever matches.
   */
  Optional<Principal> authenticate(String token) {
    byte[] presented = sha256(token);
    Principal found = null;
    for (Entry entry : entries) {
      // No early exit: how long this takes does not depend on which token, if any, matches.
      if (entry.hasHash(presented)) {
        found = entry.principal;
      }
    }
    return Optional.ofNullable(found);
  }

  private static Entry parseLine(int number, String line) {
    // The line is stripped: no empty field at its end for a limit of -1 to keep (StringSplitter).
    String[] fields = line.split("\\s+", -1);
    if (fields.length != 3) {
      throw new IllegalArgumentException("line " + number
          + ": expected 3 fields, sha256:<hex> <principal> <scope>[,<scope>] (found " + fields.length + ")");
    }
    if (!HASH.matcher(fields[0]).matches()) {
      throw new IllegalArgumentException("line " + number + ": the first field must be sha256: and 64 hex"
          + " digits, the hash of the token (see --hash-token); tokens themselves are not accepted");
    }
    if (!PRINCIPAL.matcher(fields[1]).matches()) {
      throw new IllegalArgumentException("line " + number
          + ": the principal must be 1 to 128 letters, digits or . _ - @ : /");
    }
    Set<String> scopes = new LinkedHashSet<>();
    for (String scope : fields[2].split(",", -1)) {
      if (!SCOPES.contains(scope)) {
        throw new IllegalArgumentException("line " + number + ": unknown scope '" + scope
            + "' (expected: " + READ_SCOPE + " or " + WRITE_SCOPE + ", separated by commas)");
      }
      scopes.add(scope);
    }
    byte[] hash = HexFormat.of().parseHex(fields[0].substring(HASH_PREFIX.length()));
    return new Entry(number, hash, new Principal(fields[1], scopes));
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * One line of the token file. A class, not a record: a record would compare its hash array by identity
   * (ArrayRecordComponent), and nothing here needs entries to be equal; what it needs is to compare the hash
   * in constant time, which only this class does, so the array never leaves it and cannot change.
   */
  private static final class Entry {

    final int line;
    private final byte[] hash;
    final Principal principal;

    Entry(int line, byte[] hash, Principal principal) {
      this.line = line;
      this.hash = hash;
      this.principal = principal;
    }

    /** Whether {@code sha256} is this token's hash; in constant time, like every comparison of hashes here. */
    boolean hasHash(byte[] sha256) {
      return MessageDigest.isEqual(hash, sha256);
    }

    boolean sameTokenAs(Entry other) {
      return hasHash(other.hash);
    }
  }
}
