package dev.sluice.egress.smtp;

/**
 * The TLS session STARTTLS set up (KumoMTA logs tls_protocol_version, tls_cipher, tls_peer_subject_name).
 *
 * @param protocol    e.g. "TLSv1.3"
 * @param cipherSuite e.g. "TLS_AES_256_GCM_SHA384"
 * @param peerSubject subject DN of the server certificate, or null when none was presented
 * @param verified    false when the certificate was not checked (an *Insecure mode)
 */
public record TlsInfo(String protocol, String cipherSuite, String peerSubject, boolean verified) {}
