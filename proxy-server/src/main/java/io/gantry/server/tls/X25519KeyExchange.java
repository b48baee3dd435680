package io.gantry.server.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGeneratorSpi;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.interfaces.XECPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.KeyAgreement;
import javax.crypto.KeyAgreementSpi;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The X25519 key exchange of TLS handshakes by BouncyCastle's RFC 7748 code instead of the JDK's:
 * a key pair and an agreement cost 0.14 ms instead of 0.27 ms on JDK 17, and X25519 was 19% of a
 * full handshake's CPU on the JDK's TLS once the signature was no longer the JDK's ({@link
 * EcdsaSigning}; docs/performance.md).
 *
 * <p>JSSE asks the JVM's provider list for an {@code XDH} key pair generator by name, so this
 * provider goes first in that list: it makes X25519 key pairs, and turns any other group (X448)
 * down so that the JDK makes those. Its key agreement only takes its own private keys, whose
 * scalar never leaves the object (no encoding, not serializable); peers' public keys are the
 * JDK's. Installed after start when a listener runs on the JDK's TLS ({@link HandshakeCrypto}); the JVM's other
 * X25519 users (gantry's HTTPS client to upstreams) then take it too.
 */
final class X25519KeyExchange {
  private static final int KEY_BYTES = X25519.POINT_SIZE;
  private static final Provider PROVIDER = new X25519Provider();

  private X25519KeyExchange() {}

  /**
   * Puts the provider first in the JVM's list, once, after checking that it computes RFC 7748's
   * test vector through the JCA (a JDK that insists on signed JCE providers would refuse it).
   *
   * @return empty when in use, else why the JDK's X25519 stays
   */
  static synchronized Optional<String> install() {
    if (Security.getProvider(PROVIDER.getName()) != null) {
      return Optional.empty();
    }
    try {
      HexFormat hex = HexFormat.of();
      KeyAgreement agreement = KeyAgreement.getInstance("XDH", PROVIDER);
      agreement.init(new X25519PrivateKey(hex.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")));
      agreement.doPhase(KeyFactory.getInstance("XDH").generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519,
          new BigInteger(1, reversed(hex.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))))), true);
      if (!Arrays.equals(agreement.generateSecret(),
          hex.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"))) {
        return Optional.of("BouncyCastle's X25519 does not compute RFC 7748's test vector");
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      return Optional.of("this JDK does not take BouncyCastle's X25519 (" + e + ")");
    }
    Security.insertProviderAt(PROVIDER, 1);
    return Optional.empty();
  }

  /** An ephemeral X25519 private key; the scalar stays inside. */
  static final class X25519PrivateKey extends SealedPrivateKey {
    private static final long serialVersionUID = 1L;
    private final byte[] scalar;

    X25519PrivateKey(byte[] scalar) {
      if (scalar.length != KEY_BYTES) {
        throw new IllegalArgumentException("an X25519 scalar has 32 bytes, not " + scalar.length);
      }
      this.scalar = scalar.clone();
    }

    @Override
    public String getAlgorithm() {
      return "XDH";
    }

    @Override
    public String toString() {
      return "X25519 private key";
    }
  }

  /** An X25519 public key, as the JDK's {@link XECPublicKey} so that JSSE can send it. */
  static final class X25519PublicKey implements XECPublicKey {
    private static final long serialVersionUID = 1L;
    /** SubjectPublicKeyInfo of id-X25519 (RFC 8410) before the 32 key bytes. */
    private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00};
    private final byte[] encodedU;

    X25519PublicKey(byte[] encodedU) {
      this.encodedU = encodedU.clone();
    }

    @Override
    public BigInteger getU() {
      return new BigInteger(1, reversed(encodedU));
    }

    @Override
    public AlgorithmParameterSpec getParams() {
      return NamedParameterSpec.X25519;
    }

    @Override
    public String getAlgorithm() {
      return "XDH";
    }

    @Override
    public String getFormat() {
      return "X.509";
    }

    @Override
    public byte[] getEncoded() {
      byte[] encoded = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + KEY_BYTES);
      System.arraycopy(encodedU, 0, encoded, X509_PREFIX.length, KEY_BYTES);
      return encoded;
    }

    @Override
    public String toString() {
      return "X25519 public key";
    }
  }

  private static final class X25519Provider extends Provider {
    private static final long serialVersionUID = 1L;

    X25519Provider() {
      super("GantryX25519", "1.0", "X25519 key exchange of gantry's TLS listeners (BouncyCastle)");
      for (String name : new String[] {"XDH", "X25519"}) {
        putService(new Service(this, "KeyPairGenerator", name, Generator.class.getName(), null, null) {
          @Override
          public Object newInstance(Object constructorParameter) {
            return new Generator();
          }
        });
        putService(new Service(this, "KeyAgreement", name, Agreement.class.getName(), null, null) {
          @Override
          public boolean supportsParameter(Object parameter) {
            return parameter instanceof X25519PrivateKey;
          }

          @Override
          public Object newInstance(Object constructorParameter) {
            return new Agreement();
          }
        });
      }
    }
  }

  /** X25519 key pairs; any other group is refused, which makes the JCA ask the next provider. */
  private static final class Generator extends KeyPairGeneratorSpi {
    private SecureRandom random;

    @Override
    public void initialize(int keysize, SecureRandom random) {
      if (keysize != 255) {
        throw new InvalidParameterException("only X25519 (255 bits) here, not " + keysize);
      }
      this.random = random;
    }

    @Override
    public void initialize(AlgorithmParameterSpec params, SecureRandom random) throws InvalidAlgorithmParameterException {
      if (!(params instanceof NamedParameterSpec named) || !"X25519".equalsIgnoreCase(named.getName())) {
        throw new InvalidAlgorithmParameterException("only X25519 here, not " + params);
      }
      this.random = random;
    }

    @Override
    public KeyPair generateKeyPair() {
      byte[] scalar = new byte[KEY_BYTES];
      byte[] u = new byte[KEY_BYTES];
      X25519.generatePrivateKey(random != null ? random : Randomness.RANDOM, scalar);
      X25519.generatePublicKey(scalar, 0, u, 0);
      KeyPair pair = new KeyPair(new X25519PublicKey(u), new X25519PrivateKey(scalar));
      Arrays.fill(scalar, (byte) 0);
      return pair;
    }
  }

  private static final class Agreement extends KeyAgreementSpi {
    private byte[] scalar;
    private byte[] secret;

    @Override
    protected void engineInit(Key key, SecureRandom random) throws InvalidKeyException {
      if (!(key instanceof X25519PrivateKey own)) {
        throw new InvalidKeyException("not a gantry X25519 key: " + (key == null ? null : key.getClass().getName()));
      }
      scalar = own.scalar;
      secret = null;
    }

    @Override
    protected void engineInit(Key key, AlgorithmParameterSpec params, SecureRandom random)
        throws InvalidKeyException, InvalidAlgorithmParameterException {
      if (params != null && !(params instanceof NamedParameterSpec named && "X25519".equalsIgnoreCase(named.getName()))) {
        throw new InvalidAlgorithmParameterException("only X25519 here, not " + params);
      }
      engineInit(key, random);
    }

    @Override
    protected Key engineDoPhase(Key key, boolean lastPhase) throws InvalidKeyException {
      if (scalar == null) {
        throw new IllegalStateException("not initialized");
      }
      if (!lastPhase) {
        throw new IllegalStateException("X25519 has one phase");
      }
      if (!(key instanceof XECPublicKey peer) || !(peer.getParams() instanceof NamedParameterSpec named)
          || !"X25519".equalsIgnoreCase(named.getName())) {
        throw new InvalidKeyException("not an X25519 public key: " + key);
      }
      BigInteger u = peer.getU();
      if (u.signum() < 0 || u.bitLength() > 8 * KEY_BYTES) {
        throw new InvalidKeyException("an X25519 public key has 32 bytes");
      }
      byte[] bigEndian = u.toByteArray();
      byte[] encodedU = new byte[KEY_BYTES];
      for (int i = 0; i < Math.min(bigEndian.length, KEY_BYTES); i++) {
        encodedU[i] = bigEndian[bigEndian.length - 1 - i];
      }
      byte[] shared = new byte[KEY_BYTES];
      // RFC 7748 6.1 / RFC 8446 7.4.2: an all-zero result (a small-order peer point) is refused.
      if (!X25519.calculateAgreement(scalar, 0, encodedU, 0, shared, 0)) {
        throw new InvalidKeyException("Point has small order");
      }
      secret = shared;
      return null;
    }

    @Override
    protected byte[] engineGenerateSecret() {
      return takeSecret();
    }

    @Override
    protected int engineGenerateSecret(byte[] sharedSecret, int offset) throws ShortBufferException {
      if (secret == null) {
        throw new IllegalStateException("no phase done");
      }
      if (sharedSecret.length - offset < KEY_BYTES) {
        throw new ShortBufferException(KEY_BYTES + " bytes needed");
      }
      byte[] result = takeSecret();
      System.arraycopy(result, 0, sharedSecret, offset, KEY_BYTES);
      Arrays.fill(result, (byte) 0);
      return KEY_BYTES;
    }

    @Override
    protected SecretKey engineGenerateSecret(String algorithm) {
      byte[] result = takeSecret();
      try {
        return new SecretKeySpec(result, algorithm);
      } finally {
        Arrays.fill(result, (byte) 0);
      }
    }

    private byte[] takeSecret() {
      if (secret == null) {
        throw new IllegalStateException("no phase done");
      }
      byte[] result = secret;
      secret = null;
      return result;
    }
  }

  private static byte[] reversed(byte[] bytes) {
    byte[] r = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      r[i] = bytes[bytes.length - 1 - i];
    }
    return r;
  }

  /** The generator's random source when JSSE gives none. */
  private static final class Randomness {
    static final SecureRandom RANDOM = new SecureRandom();
  }
}
