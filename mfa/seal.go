package mfa

// Sealer seals secrets at rest: the server needs the TOTP secret itself,
// so it is stored sealed under a key kept out of the database. It has the
// shape of fast.Sealer, so that one value, such as fast.NewAESGCM's, can
// serve both.
// Implementations must be safe for concurrent use. Open must fail on any
// ciphertext or associated data that Seal did not produce.
type Sealer interface {
	Seal(plaintext, associated []byte) ([]byte, error)
	Open(ciphertext, associated []byte) ([]byte, error)
}

// associated returns the data a secret is sealed with, binding it to its
// kind and account: kind, NUL, account. A kind holds no NUL.
func associated(kind, account string) []byte {
	ad := make([]byte, 0, len(kind)+1+len(account))
	return append(append(append(ad, kind...), 0), account...)
}
