package io.gantry.server.tls;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.GeneralSecurityException;
import java.security.InvalidParameterException;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;

/**
 * The ECDSA signature of a TLS handshake (TLS 1.3 CertificateVerify, TLS 1.2 ServerKeyExchange)
 * made by BouncyCastle's fixed-base comb over its P-256/P-384/P-521 field code instead of the
 * JDK's generic scalar multiplication: 0.11 ms instead of 0.66 ms per P-256 signature on JDK 17,
 * which was 30% of the CPU of a full handshake on the JDK's TLS (profile in docs/performance.md).
 *
 * <p>Scoped to the listeners' own keys, not the JVM: {@link HandshakeCrypto#keyManager} hands JSSE
 * a {@link SigningKey} in place of each EC private key, and only this provider (added last, so it is never
 * anyone's default) accepts that key type, the way a PKCS#11 token's non-extractable keys select
 * their provider. JSSE reads the curve from the certificate then, as it does for such keys.
 * Every other signature, key agreement and cipher stays the JDK's. Nonces are deterministic
 * (RFC 6979 with HMAC-SHA-256), so a signature never depends on the quality of a random source.
 */
final class EcdsaSigning {
  /** The digests of the JSSE signature schemes (TLS 1.3 and 1.2) that {@link SigningKey} signs. */
  private static final List<String> DIGESTS = List.of("SHA-256", "SHA-384", "SHA-512", "SHA-224", "SHA-1");
  private static final Provider PROVIDER = new SigningProvider();

  /** The curves signed here, by their group order (what identifies a curve across key classes). */
  private static final Map<BigInteger, ECDomainParameters> CURVES = curves("secp256r1", "secp384r1", "secp521r1");

  static {
    Security.addProvider(PROVIDER); // last in the list, once per JVM
  }

  private EcdsaSigning() {}

  /** Loads the curves and BouncyCastle's signing code: a first signature fills the comb tables. */
  static void prepare() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      Signature signer = Signature.getInstance("SHA256withECDSA");
      signer.initSign(signingKey(generator.generateKeyPair().getPrivate()));
      signer.update(new byte[32]);
      signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("BouncyCastle's ECDSA does not sign here", e);
    }
  }

  /** {@code key} as a {@link SigningKey} where this class signs its curve, else {@code key}. */
  static PrivateKey signingKey(PrivateKey key) {
    if (key instanceof ECPrivateKey ec) {
      ECParameterSpec params = ec.getParams();
      ECDomainParameters curve = params == null ? null : CURVES.get(params.getOrder());
      if (curve != null && curve.getCurve().getFieldSize() == params.getCurve().getField().getFieldSize()) {
        return new SigningKey(new ECPrivateKeyParameters(ec.getS(), curve));
      }
    }
    return key;
  }

  private static Map<BigInteger, ECDomainParameters> curves(String... names) {
    Map<BigInteger, ECDomainParameters> curves = new HashMap<>();
    for (String name : names) {
      X9ECParameters x9 = CustomNamedCurves.getByName(name);
      curves.put(x9.getN(), new ECDomainParameters(x9));
    }
    return Map.copyOf(curves);
  }

  /**
   * An EC private key that only {@link EcdsaSigning}'s provider signs with: it is not an {@code
   * ECPrivateKey}, so the JDK's providers pass it by. Like a hardware key it has no encoding.
   */
  static final class SigningKey extends SealedPrivateKey {
    private static final long serialVersionUID = 1L;

    @SuppressWarnings("serial") // never serialized: SealedPrivateKey refuses
    private final ECPrivateKeyParameters key;

    private SigningKey(ECPrivateKeyParameters key) {
      this.key = key;
    }

    @Override
    public String getAlgorithm() {
      return "EC";
    }

    @Override
    public String toString() {
      return "EC signing key (" + key.getParameters().getCurve().getFieldSize() + " bits)";
    }
  }

  private static final class SigningProvider extends Provider {
    private static final long serialVersionUID = 1L;

    SigningProvider() {
      super("GantryEcdsaSigning", "1.0", "ECDSA signatures of gantry's TLS listeners (BouncyCastle)");
      for (String digest : DIGESTS) {
        putService(new SigningService(this, digest.replace("-", "") + "withECDSA", digest));
      }
    }
  }

  private static final class SigningService extends Provider.Service {
    private final String digest;

    SigningService(Provider provider, String algorithm, String digest) {
      super(provider, "Signature", algorithm, SignatureSpi.class.getName(), null, null);
      this.digest = digest;
    }

    /** Only gantry's signing keys: the JDK's providers keep every other key. */
    @Override
    public boolean supportsParameter(Object parameter) {
      return parameter instanceof SigningKey;
    }

    @Override
    public Object newInstance(Object constructorParameter) throws NoSuchAlgorithmException {
      return new Signer(MessageDigest.getInstance(digest));
    }
  }

  /** Signs only: JSSE verifies the peer's signatures with public keys, which the JDK handles. */
  private static final class Signer extends SignatureSpi {
    private final MessageDigest digest;
    private ECPrivateKeyParameters key;

    Signer(MessageDigest digest) {
      this.digest = digest;
    }

    @Override
    protected void engineInitSign(PrivateKey privateKey) throws InvalidKeyException {
      if (!(privateKey instanceof SigningKey signing)) {
        throw new InvalidKeyException("not a gantry signing key: " + privateKey.getClass().getName());
      }
      key = signing.key;
      digest.reset();
    }

    @Override
    protected void engineInitVerify(PublicKey publicKey) throws InvalidKeyException {
      throw new InvalidKeyException("gantry's ECDSA provider only signs");
    }

    @Override
    protected void engineUpdate(byte b) {
      digest.update(b);
    }

    @Override
    protected void engineUpdate(byte[] b, int off, int len) {
      digest.update(b, off, len);
    }

    @Override
    protected byte[] engineSign() throws SignatureException {
      if (key == null) {
        throw new SignatureException("not initialized for signing");
      }
      byte[] hash = digest.digest();
      ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
      signer.init(true, key);
      BigInteger[] rs = signer.generateSignature(hash);
      try {
        return StandardDSAEncoding.INSTANCE.encode(key.getParameters().getN(), rs[0], rs[1]);
      } catch (java.io.IOException e) {
        throw new SignatureException("cannot encode the signature", e);
      }
    }

    @Override
    protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
      throw new SignatureException("gantry's ECDSA provider only signs");
    }

    @Override
    @Deprecated
    protected void engineSetParameter(String param, Object value) {
      throw new InvalidParameterException("no parameters");
    }

    @Override
    @Deprecated
    protected Object engineGetParameter(String param) {
      throw new InvalidParameterException("no parameters");
    }
  }
}
