package deposit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/jurichain/jurichain/suite"
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
}

// Opening is metadata plus the salt of its commitment: what a depositor
// keeps beside a receipt to prove the metadata later.
type Opening struct {
	Metadata
	Salt []byte `json:"salt"`
}

// Validate checks every field, naming the first bad one in its error.
func (m *Metadata) Validate() error {
	if err := text("title", m.Title, 1, maxTitle); err != nil {
		return err
	}
	if err := text("media_type", m.MediaType, 1, maxMediaType); err != nil {
		return err
	}
	if _, _, err := mime.ParseMediaType(m.MediaType); err != nil {
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
	if c.SourceURL != "" {
		u, err := url.Parse(c.SourceURL)
		if err != nil || !u.IsAbs() || u.Host == "" {
			return fmt.Errorf("capture.source_url: %q is not an absolute URL", c.SourceURL)
		}
	}
	return nil
}

func text(field, v string, minLen, maxLen int) error {
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

// Validate checks the metadata and the salt.
func (o *Opening) Validate() error {
	if len(o.Salt) != SaltSize {
		return fmt.Errorf("salt: need %d bytes, got %d", SaltSize, len(o.Salt))
	}
	return o.Metadata.Validate()
}

// Commitment is the salted hash of the opening under cs: each field in a
// fixed order, length-prefixed, so no two openings share an encoding.
func (o *Opening) Commitment(cs *suite.Suite) [suite.HashSize]byte {
	h := cs.NewHash()
	h.Write([]byte("jurichain/metadata/v1\n"))
	h.Write(o.Salt)
	var c Capture
	if o.Capture != nil {
		c = *o.Capture
	}
	for _, f := range []string{o.Title, o.MediaType, o.CaseRef, c.Time, coordinate(c.Latitude), coordinate(c.Longitude), c.Device, c.SourceURL} {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(f))))
		h.Write([]byte(f))
	}
	var out [suite.HashSize]byte
	h.Sum(out[:0])
	return out
}

// coordinate formats a coordinate in the shortest form that reads back as
// the same float64, so both sides of a commitment agree on its bytes.
func coordinate(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}
