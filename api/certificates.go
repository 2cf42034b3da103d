package api

import (
	"time"

	"github.com/jurichain/jurichain/certificate"
)

// CertificateCheck is what the node says of a certificate.
type CertificateCheck struct {
	// Genuine is set when every check passed.
	Genuine bool `json:"genuine"`
	// FailedCheck names the step that failed, Message why.
	FailedCheck string `json:"failed_check,omitempty"`
	Message     string `json:"message,omitempty"`
	// Certificate is what the certificate states (when genuine).
	Certificate    *certificate.Data `json:"certificate,omitempty"`
	SealedAt       *time.Time        `json:"sealed_at,omitempty"`
	CheckpointTime *time.Time        `json:"checkpoint_time,omitempty"`
	// StillInLog reports, against this node's latest final checkpoint,
	// that the log still contains the certificate's checkpoint.
	StillInLog *StillInLog `json:"still_in_log,omitempty"`
}

// StillInLog is the consistency of a certificate's checkpoint with the
// latest one.
type StillInLog struct {
	LatestSize uint64 `json:"latest_size"`
	Consistent bool   `json:"consistent"`
}

// PKI is what GET /v1/pki says of the institution's certificates.
type PKI struct {
	Institution string `json:"institution"`
	// CA is the certificate authority (PEM); Endorsement the institution's
	// signed statement that it is theirs; CRL the current revocation list
	// (DER, base64 in JSON).
	CA          string          `json:"ca"`
	Endorsement string          `json:"endorsement"`
	CRL         []byte          `json:"crl"`
	Credentials []PKICredential `json:"credentials"`
}

// PKICredential is one seal or time-stamping certificate, current or past.
type PKICredential struct {
	Role        string     `json:"role"`
	Serial      string     `json:"serial"`
	Subject     string     `json:"subject"`
	Issued      time.Time  `json:"issued"`
	Retired     *time.Time `json:"retired,omitempty"`
	Revoked     *time.Time `json:"revoked,omitempty"`
	Reason      int        `json:"reason,omitempty"`
	Certificate string     `json:"certificate"`
}
