package deposit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/usertext"
)

// SaltSize is the length of a metadata salt. 32 random bytes make the
// commitment hiding: nobody can test guesses of the metadata against it.
const SaltSize = 32

// Field length limits, in bytes.
const (
	maxTitle     = 1024
	maxMediaType = 255
	maxCaseRef   = 256
	maxDevice    = 256
	maxSourceURL = 2048
	maxAddress   = 200
)

// Metadata is the descriptive data of a deposit. It never goes on the
// ledger in clear.
type Metadata struct {
	Title     string   `json:"title"`
	MediaType string   `json:"media_type"`
	CaseRef   string   `json:"case_ref,omitempty"`
	Capture   *Capture `json:"capture,omitempty"`
}

// Capture describes how the evidence was captured. Every field is optional.
type Capture struct {
	// Time is an RFC 3339 timestamp.
	Time      string   `json:"time,omitempty"`
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
	Device    string   `json:"device,omitempty"`
	SourceURL string   `json:"source_url,omitempty"`
	// Address is where the capture was made, in words (for example
	// "北京市海淀区中关村大街1号"), as a certificate prints it.
	Address string `json:"address,omitempty"`
}

// Opening is metadata plus the salt of its commitment: what a depositor
// keeps beside a receipt to prove the metadata later.
type Opening struct {
	Metadata
	Salt []byte `json:"salt"`
	// Suite names the crypto suite whose hash the commitment is made with
	// ("intl" or "gm"). It is not committed to: it tells a verifier which
	// suite the opening is for, and an opening checked under another
	// suite's policy is refused by name rather than as a mismatch.
	Suite string `json:"suite,omitempty"`
}

// Validate checks every field, naming the first bad one in its error, as
// a node does before it accepts a deposit: besides their form, the text
// fields must pass usertext.Check (no control or bidirectional formatting
// characters).
func (m *Metadata) Validate() error { return m.validate(true) }

// Wellformed checks the fields as Validate does, except the usertext rules,
// which are newer than some openings: readers of openings already
// committed to (a node serving one, a verifier given one) use it, and
// escape the text they show.
func (m *Metadata) Wellformed() error { return m.validate(false) }

func (m *Metadata) validate(textRules bool) error {
	text := func(field, v string, minLen, maxLen int) error {
		if err := form(field, v, minLen, maxLen); err != nil || !textRules {
			return err
		}
		return usertext.Field(field, v)
	}
	if err := text("title", m.Title, 1, maxTitle); err != nil {
		return err
	}
	if err := text("media_type", m.MediaType, 1, maxMediaType); err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(m.MediaType); err != nil || !validType(mt) {
		return fmt.Errorf("media_type: %q is not a media type such as image/jpeg", m.MediaType)
	}
	if err := text("case_ref", m.CaseRef, 0, maxCaseRef); err != nil {
		return err
	}
	c := m.Capture
	if c == nil {
		return nil
	}
	if c.Time != "" {
		if _, err := time.Parse(time.RFC3339Nano, c.Time); err != nil {
			return fmt.Errorf("capture.time: %q is not an RFC 3339 time such as 2026-05-01T09:30:00+08:00", c.Time)
		}
	}
	if c.Latitude != nil && !(*c.Latitude >= -90 && *c.Latitude <= 90) {
		return fmt.Errorf("capture.latitude: %v is outside -90..90", *c.Latitude)
	}
	if c.Longitude != nil && !(*c.Longitude >= -180 && *c.Longitude <= 180) {
		return fmt.Errorf("capture.longitude: %v is outside -180..180", *c.Longitude)
	}
	if (c.Latitude == nil) != (c.Longitude == nil) {
		return errors.New("capture: latitude and longitude go together")
	}
	if err := text("capture.device", c.Device, 0, maxDevice); err != nil {
		return err
	}
	if err := text("capture.source_url", c.SourceURL, 0, maxSourceURL); err != nil {
		return err
	}
	if err := text("capture.address", c.Address, 0, maxAddress); err != nil {
		return err
	}
	if c.SourceURL != "" {
		u, err := url.Parse(c.SourceURL)
		if err != nil || !u.IsAbs() || u.Host == "" {
			return fmt.Errorf("capture.source_url: %q is not an absolute URL", c.SourceURL)
		}
	}
	return nil
}

// validType reports whether mt is "type/subtype".
func validType(mt string) bool {
	typ, sub, ok := strings.Cut(mt, "/")
	return ok && typ != "" && sub != "" && !strings.Contains(sub, "/")
}

// form checks a text field's length and encoding.
func form(field, v string, minLen, maxLen int) error {
	switch {
	case len(v) < minLen:
		return fmt.Errorf("%s: required", field)
	case len(v) > maxLen:
		return fmt.Errorf("%s: longer than %d bytes", field, maxLen)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s: not valid UTF-8", field)
	}
	return nil
}

// Validate checks the metadata and the salt (Metadata.Validate).
func (o *Opening) Validate() error {
	if len(o.Salt) != SaltSize {
		return fmt.Errorf("salt: need %d bytes, got %d", SaltSize, len(o.Salt))
	}
	return o.Metadata.Validate()
}

// Wellformed checks the metadata and the salt as readers of committed
// openings do (Metadata.Wellformed).
func (o *Opening) Wellformed() error {
	if len(o.Salt) != SaltSize {
		return fmt.Errorf("salt: need %d bytes, got %d", SaltSize, len(o.Salt))
	}
	return o.Metadata.Wellformed()
}

// Commitment is the salted hash under cs of the opening's canonical
// encoding (AppendBinary).
func (o *Opening) Commitment(cs *suite.Suite) [suite.HashSize]byte {
	return cs.Hash([]byte(CommitmentDomain), o.AppendBinary(make([]byte, 0, 256)))
}

// CommitmentDomain separates metadata commitments from other suite hashes.
const CommitmentDomain = "jurichain/metadata/v1\n"

// AppendBinary appends the canonical encoding of the opening: the salt,
// then each field in a fixed order with a 4-byte length, so no two openings
// share an encoding. Coordinates are written in their shortest decimal form.
// The capture address, added after the first eight fields, is written only
// when there is one, so openings made before it commit as they did.
func (o *Opening) AppendBinary(b []byte) []byte {
	b = append(b, o.Salt...)
	for _, f := range o.fields() {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

func (o *Opening) fields() []string {
	var c Capture
	if o.Capture != nil {
		c = *o.Capture
	}
	f := []string{o.Title, o.MediaType, o.CaseRef, c.Time, coordinate(c.Latitude), coordinate(c.Longitude), c.Device, c.SourceURL}
	if c.Address != "" {
		f = append(f, c.Address)
	}
	return f
}

// ParseOpening decodes AppendBinary's encoding and checks that the result
// is well formed (Opening.Wellformed): it reads openings already stored.
func ParseOpening(b []byte) (*Opening, error) {
	r := reader{b: b}
	o := &Opening{Salt: r.bytes(SaltSize)}
	var f [9]string
	for i := range f {
		if i == 8 && r.err == nil && len(r.b) == 0 {
			break // no address
		}
		n := r.bytes(4)
		if n == nil {
			break
		}
		f[i] = string(r.bytes(int(binary.BigEndian.Uint32(n))))
	}
	if r.err != nil {
		return nil, fmt.Errorf("parsing metadata opening: %w", r.err)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("parsing metadata opening: %d trailing bytes", len(r.b))
	}
	o.Title, o.MediaType, o.CaseRef = f[0], f[1], f[2]
	c := Capture{Time: f[3], Device: f[6], SourceURL: f[7], Address: f[8]}
	for i, dst := range []**float64{&c.Latitude, &c.Longitude} {
		if f[4+i] == "" {
			continue
		}
		v, err := strconv.ParseFloat(f[4+i], 64)
		if err != nil || coordinate(&v) != f[4+i] {
			return nil, fmt.Errorf("parsing metadata opening: coordinate %q is not canonical", f[4+i])
		}
		*dst = &v
	}
	if c != (Capture{}) {
		o.Capture = &c
	}
	if err := o.Wellformed(); err != nil {
		return nil, fmt.Errorf("parsing metadata opening: %w", err)
	}
	// One spelling per opening: an empty address is left out, not written.
	if !bytes.Equal(o.AppendBinary(nil), b) {
		return nil, errors.New("parsing metadata opening: not in canonical form")
	}
	return o, nil
}

// coordinate formats a coordinate in the shortest form that reads back as
// the same float64, so both sides of a commitment agree on its bytes.
func coordinate(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}
