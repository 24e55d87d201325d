package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certificate loads the server's certificate and key from dir, or creates a
// self-signed ECDSA P-256 certificate for domain there on first run. It
// returns the certificate, the path of cert.pem and whether it was created.
//
// The certificate is signed with ECDSA-SHA256, so tls-server-end-point
// channel binding hashes it with SHA-256 (RFC 5929 §4.1).
func certificate(dir, domain string, now time.Time) (tls.Certificate, string, bool, error) {
	certPath := certPath(dir)
	keyPath := filepath.Join(dir, "key.pem")

	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err == nil {
		if cert.Leaf.VerifyHostname(domain) != nil {
			return cert, certPath, false, fmt.Errorf("server: %s is not for %s; remove it and key.pem to make a new one", certPath, domain)
		}
		if now.After(cert.Leaf.NotAfter) {
			return cert, certPath, false, fmt.Errorf("server: %s expired; remove it and key.pem to make a new one", certPath)
		}
		return cert, certPath, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return cert, certPath, false, fmt.Errorf("server: loading certificate: %w", err)
	}

	certPEM, keyPEM, err := selfSigned(domain, now)
	if err != nil {
		return cert, certPath, false, err
	}
	// The key first, readable by its owner only, so that a cert.pem never
	// exists without its key.
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return cert, certPath, false, fmt.Errorf("server: writing key: %w", err)
	}
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		return cert, certPath, false, fmt.Errorf("server: writing certificate: %w", err)
	}
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	return cert, certPath, true, err
}

// certPath returns the path of the certificate in the data directory.
func certPath(dir string) string {
	return filepath.Join(dir, "cert.pem")
}

// selfSigned returns a PEM certificate and PKCS #8 key for domain and the
// loopback addresses, valid for a year.
func selfSigned(domain string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: domain},
		DNSNames:     []string{domain},
		// xmpp.js checks the host it dialled, not the domain, on direct
		// TLS; naming loopback lets it reach a local server by address.
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		SignatureAlgorithm:    x509.ECDSAWithSHA256,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	return certPEM, keyPEM, nil
}
