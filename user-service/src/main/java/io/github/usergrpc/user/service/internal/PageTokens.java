package io.github.usergrpc.user.service.internal;

import io.github.usergrpc.user.service.store.PageCursor;
import io.github.usergrpc.user.v1.ErrorReason;
import io.grpc.StatusRuntimeException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Page tokens of ListUsers (AIP-158): a keyset cursor and the role filter it was issued for, encrypted and
 * authenticated with AES-GCM under the store's secret. A client cannot read, forge or alter one: any change
 * fails authentication and is answered with INVALID_ARGUMENT (reason INVALID_PAGE_TOKEN), as is a token
 * sent with another role filter. Every server on the same store shares the secret, so a token from one
 * replica works on another and after a restart.
 */
final class PageTokens {

  private static final byte VERSION = 1;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final byte[] ASSOCIATED_DATA = "user.UserService/ListUsers".getBytes(StandardCharsets.UTF_8);

  private final SecretKey key;
  private final SecureRandom random = new SecureRandom();

  /**
   * Creates the codec.
   *
   * @param secret at least 16 bytes; the first 16 are the AES key
   */
  PageTokens(byte[] secret) {
    if (secret.length < 16) {
      throw new IllegalArgumentException("secret: " + secret.length + " bytes (expected: >= 16)");
    }
    this.key = new SecretKeySpec(Arrays.copyOf(secret, 16), "AES");
  }

  /**
   * Returns the token for the page that follows {@code cursor}.
   *
   * @param roleFilter the role filter of the query, or empty
   * @param cursor the last user of the current page
   * @return an opaque, URL-safe token
   */
  String encode(Optional<String> roleFilter, PageCursor cursor) {
    byte[] role = roleFilter.orElse("").getBytes(StandardCharsets.UTF_8);
    byte[] id = cursor.id().getBytes(StandardCharsets.UTF_8);
    ByteBuffer plain = ByteBuffer.allocate(1 + 8 + 4 + role.length + id.length)
        .put(VERSION)
        .putLong(cursor.createdAtMillis())
        .putInt(role.length)
        .put(role)
        .put(id);
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(ASSOCIATED_DATA);
      byte[] sealed = cipher.doFinal(plain.array());
      byte[] token = ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
      return Base64.getUrlEncoder().withoutPadding().encodeToString(token);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is part of every JDK", e);
    }
  }

  /**
   * Returns the cursor in {@code token}, checking that it was issued by a server of this store for the
   * same role filter.
   *
   * @param token a page token from a client
   * @param roleFilter the role filter of the request that carries it, or empty
   * @return the cursor to continue after
   * @throws StatusRuntimeException INVALID_ARGUMENT (INVALID_PAGE_TOKEN) for any other token
   */
  PageCursor decode(String token, Optional<String> roleFilter) {
    try {
      byte[] bytes = Base64.getUrlDecoder().decode(token);
      // Shorter than nonce plus tag, the JDK's AES-GCM throws ProviderException instead of a
      // GeneralSecurityException (JDK 17: ShortBufferException wrapped): reject it before decrypting.
      if (bytes.length < NONCE_BYTES + TAG_BITS / Byte.SIZE) {
        throw invalid();
      }
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_BYTES));
      cipher.updateAAD(ASSOCIATED_DATA);
      ByteBuffer plain = ByteBuffer.wrap(cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES));
      if (plain.get() != VERSION) {
        throw invalid();
      }
      long createdAtMillis = plain.getLong();
      byte[] role = new byte[plain.getInt()];
      plain.get(role);
      byte[] id = new byte[plain.remaining()];
      plain.get(id);
      if (!new String(role, StandardCharsets.UTF_8).equals(roleFilter.orElse(""))) {
        throw ErrorMapper.error(ErrorReason.INVALID_PAGE_TOKEN,
            "page_token was issued for another role_filter; send the same role_filter on every page",
            Map.of());
      }
      return new PageCursor(createdAtMillis, new String(id, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException | BufferUnderflowException | NegativeArraySizeException
        | GeneralSecurityException e) {
      throw invalid();
    }
  }

  private static StatusRuntimeException invalid() {
    return ErrorMapper.error(ErrorReason.INVALID_PAGE_TOKEN,
        "page_token is not a token this service issued; start again without page_token", Map.of());
  }
}
