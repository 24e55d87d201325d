// Package mfa implements second factors as SASL2 tasks: TOTP (RFC 6238),
// single-use recovery codes and, through the Factor interface, WebAuthn.
// The wire protocol, in namespace NS, is specified in docs/mfa.md.
//
// # Server
//
// A Factor is one kind of second factor: NewTOTP and NewRecovery return
// the two this package implements, and package mfa/webauthn adds
// WebAuthn. NewServer combines them with a policy hook into a
// sasl2.Policy: after the mechanism succeeds, an account that must prove a
// second factor is offered, as one sasl2.Alternatives, exactly the
// acceptable factors it has enrolled, and no <success>, bound resource or
// FAST token follows until one of them passed. A failed or aborted task
// fails the whole authentication, and every failure reads the same, so
// that it tells nothing about which factors exist.
//
// A device that passed its factors and asked for a FAST token gets one
// that records them (fast.Token.Factors); its token logins then run no
// task. Server.StepUp runs a factor outside SASL, before a sensitive
// operation such as a password change or the removal of a factor.
//
// # Storage
//
// TOTPStore, RecoveryStore and WebAuthnStore are built around the
// operations that make each proof single use: a TOTP time step, a
// recovery code and a WebAuthn challenge are each consumed by one
// compare-and-set. MemoryStore implements all three; package mfatest
// holds conformance suites for other implementations. TOTP secrets are
// sealed at rest through a Sealer; recovery codes are kept only as keyed
// hashes.
//
// # Client
//
// TOTPClient and RecoveryClient are sasl2.ClientTask values that ask the
// user for a code through a callback.
package mfa
