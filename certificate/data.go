// Package certificate issues and verifies deposit certificates: for a
// committed deposit, a one-page PDF in Simplified Chinese and English that
// states who deposited what and when, sealed by the attesting institution
// (a CAdES signature with an RFC 3161 signature time-stamp, PAdES baseline
// B-T) and carrying, as attachments, everything a verifier needs offline:
// the receipt (tlog-proof), the metadata opening, the RFC 3161 token of the
// checkpoint, the institution's endorsement of its certificate authority
// and its revocation list.
//
// A certificate is checked with only the network's policy: the policy
// names the institution's key, which vouches for its certificate
// authority, which issued the seal and time-stamping certificates; the
// receipt proves the deposit; and the printed page is compared with what
// was proven by rendering it again.
package certificate

import (
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jurichain/jurichain/certpdf"
	"github.com/jurichain/jurichain/identity"
)

// LayoutVersion is the version of the page layout and of Data. Verifying
// re-renders the page, so a layout once issued must stay renderable.
const LayoutVersion = 1

// Attachment names in a certificate PDF.
const (
	AttachData        = "certificate.json"
	AttachReceipt     = "receipt.tlog-proof"
	AttachOpening     = "opening.json"
	AttachTimeStamp   = "checkpoint.tst"
	AttachEndorsement = "ca-endorsement.txt"
	AttachCRL         = "institution.crl"
	AttachPolicy      = "policy.txt"
)

// Data is what a certificate states, attached as certificate.json and
// printed on its page.
type Data struct {
	Version     int         `json:"version"`
	Number      string      `json:"number"`
	Origin      string      `json:"origin"`
	Suite       string      `json:"suite"`
	Institution Institution `json:"institution"`
	Depositor   Depositor   `json:"depositor"`
	Deposit     string      `json:"deposit"`
	// CertifiedTime is the block time the validators agreed for the
	// deposit; TimeStamp the RFC 3161 time of the checkpoint that proves
	// it, from TimeStampAuthority.
	CertifiedTime      time.Time `json:"certified_time"`
	TimeStamp          time.Time `json:"timestamp"`
	TimeStampAuthority string    `json:"timestamp_authority"`
	File               File      `json:"file"`
	// Digests maps an algorithm name to the lowercase hex digest.
	Digests    map[string]string `json:"digests"`
	TxHash     string            `json:"tx_hash"`
	Height     uint64            `json:"height"`
	LeafIndex  uint64            `json:"leaf_index"`
	Checkpoint Checkpoint        `json:"checkpoint"`
	CaseRef    string            `json:"case_ref,omitempty"`
	Capture    *Capture          `json:"capture,omitempty"`
	VerifyURL  string            `json:"verify_url"`
	Issued     time.Time         `json:"issued"`
}

// Institution is the attesting institution.
type Institution struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// Depositor is the depositor as the attesting institution knows them.
type Depositor struct {
	Name    string `json:"name"`
	Account string `json:"account"`
	// Key is the depositor's public key (hex), as in the deposit.
	Key string `json:"key"`
}

// File describes the deposited content.
type File struct {
	Name      string `json:"name"`
	Size      uint64 `json:"size"`
	MediaType string `json:"media_type"`
}

// Checkpoint is the final checkpoint a certificate's receipt is proven
// against.
type Checkpoint struct {
	Size      uint64   `json:"size"`
	Root      string   `json:"root"`
	Cosigners []string `json:"cosigners"`
}

// Capture is where and how the evidence was captured.
type Capture struct {
	Time      string   `json:"time,omitempty"`
	Address   string   `json:"address,omitempty"`
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
	Device    string   `json:"device,omitempty"`
	SourceURL string   `json:"source_url,omitempty"`
}

// numberEncoding spells certificate numbers: upper case, no padding, no
// letters that read as digits aside (base32's alphabet has no 0, 1, 8, 9).
var numberEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewNumber returns a new certificate number: 100 random bits, "JC-" and
// four groups of five characters. It is random, not derived from the
// deposit, so that nobody can compute the number of a deposit's
// certificate from the public log and look it up; the institution keeps
// one certificate, and so one number, per deposit.
func NewNumber(rand io.Reader) (string, error) {
	b := make([]byte, 13)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("drawing a certificate number: %w", err)
	}
	s := numberEncoding.EncodeToString(b)[:20]
	return "JC-" + s[0:5] + "-" + s[5:10] + "-" + s[10:15] + "-" + s[15:20], nil
}

// ParseNumber normalizes a certificate number as a person may type it
// (lower case, spaces or no dashes, with or without "JC") and refuses
// anything else.
func ParseNumber(s string) (string, error) {
	t := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(s)))
	if len(t) == 22 && strings.HasPrefix(t, "JC") {
		t = t[2:]
	}
	if len(t) != 20 {
		return "", fmt.Errorf("certificate number %q: want JC- and 20 letters and digits, as JC-ABCDE-FGHIJ-KLMNO-PQRST", s)
	}
	for _, r := range t {
		if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
			return "", fmt.Errorf("certificate number %q: %q is not a letter A-Z or a digit 2-7", s, r)
		}
	}
	return "JC-" + t[0:5] + "-" + t[5:10] + "-" + t[10:15] + "-" + t[15:20], nil
}

// Public is what anyone who knows a certificate's number may learn of it:
// everything but the depositor's identity and the deposit's metadata, which
// only the certificate's holder and those the deposit is shared with have.
func (d *Data) Public() *Data {
	p := *d
	p.Depositor = Depositor{}
	p.File.Name, p.File.MediaType, p.CaseRef, p.Capture = "", "", "", nil
	return &p
}

// kindNames gives the Chinese and English names of each kind of
// institution.
func kindNames(kind string) (zh, en string) {
	switch identity.InstitutionKind(kind) {
	case identity.Court:
		return "法院", "court"
	case identity.Notary:
		return "公证处", "notary office"
	case identity.Arbitration:
		return "仲裁委员会", "arbitration commission"
	case identity.Appraisal:
		return "司法鉴定中心", "judicial appraisal centre"
	case identity.Company:
		return "企业", "enterprise"
	}
	return kind, kind
}

// beijing is China Standard Time, printed beside UTC. A fixed zone, not a
// tzdata lookup: the page must render the same on every machine.
var beijing = time.FixedZone("UTC+8", 8*60*60)

func printTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(beijing).Format("2006-01-02 15:04:05") + " (UTC+8) · " + t.UTC().Format(time.RFC3339Nano)
}

// document lays out the page of d. It depends on d alone, so a verifier
// renders it again and compares.
func document(d *Data) (*certpdf.Document, error) {
	if d.Version != LayoutVersion {
		return nil, fmt.Errorf("certificate layout version %d is not known to this program (it knows %d)", d.Version, LayoutVersion)
	}
	kindZH, kindEN := kindNames(d.Institution.Kind)
	row := func(zh, en, v string) certpdf.Row { return certpdf.Row{LabelZH: zh, LabelEN: en, Value: v} }
	mono := func(zh, en, v string) certpdf.Row { return certpdf.Row{LabelZH: zh, LabelEN: en, Value: v, Mono: true} }
	depositor := d.Depositor.Name
	if depositor == "" {
		depositor = "—"
	}
	deposit := certpdf.Section{HeadingZH: "存证信息", HeadingEN: "Deposit", Rows: []certpdf.Row{
		row("存证人", "Depositor", depositor),
		mono("账户", "Account", d.Depositor.Account),
		mono("存证编号", "Deposit ID", d.Deposit),
		row("出证机构", "Attesting institution", d.Institution.Name+"（"+kindZH+" / "+kindEN+"）"),
		row("认证时间", "Certified time (block)", printTime(d.CertifiedTime)),
		row("可信时间戳", "RFC 3161 time-stamp", printTime(d.TimeStamp)+" · "+d.TimeStampAuthority),
	}}
	file := certpdf.Section{HeadingZH: "电子数据", HeadingEN: "Evidence file", Rows: []certpdf.Row{
		row("文件名", "File name", d.File.Name),
		row("大小", "Size", strconv.FormatUint(d.File.Size, 10)+" 字节 bytes"),
		row("类型", "Media type", d.File.MediaType),
	}}
	for _, alg := range slices.Sorted(maps.Keys(d.Digests)) {
		file.Rows = append(file.Rows, mono(strings.ToUpper(alg)+" 摘要", strings.ToUpper(alg)+" digest", d.Digests[alg]))
	}
	if d.CaseRef != "" {
		file.Rows = append(file.Rows, row("案件", "Case", d.CaseRef))
	}
	ledger := certpdf.Section{HeadingZH: "区块链存证", HeadingEN: "Ledger", Rows: []certpdf.Row{
		row("网络", "Network", d.Origin+" · "+d.Suite),
		mono("交易哈希", "Transaction hash", d.TxHash),
		row("区块高度", "Block height", strconv.FormatUint(d.Height, 10)),
		row("日志序号", "Log index", strconv.FormatUint(d.LeafIndex, 10)),
		row("检查点", "Checkpoint", "tree size "+strconv.FormatUint(d.Checkpoint.Size, 10)),
		mono("树根", "Root hash", d.Checkpoint.Root),
		row("共同签署", "Cosigned by", strings.Join(d.Checkpoint.Cosigners, ", ")),
	}}
	sections := []certpdf.Section{deposit, file, ledger}
	if c := d.Capture; c != nil {
		capture := certpdf.Section{HeadingZH: "采集信息", HeadingEN: "Capture"}
		if c.Address != "" {
			capture.Rows = append(capture.Rows, row("地点", "Address", c.Address))
		}
		if c.Latitude != nil && c.Longitude != nil {
			capture.Rows = append(capture.Rows, row("经纬度", "Latitude, longitude", strconv.FormatFloat(*c.Latitude, 'f', -1, 64)+", "+strconv.FormatFloat(*c.Longitude, 'f', -1, 64)))
		}
		if c.Time != "" {
			capture.Rows = append(capture.Rows, row("采集时间", "Captured at", c.Time))
		}
		if c.Device != "" {
			capture.Rows = append(capture.Rows, row("设备", "Device", c.Device))
		}
		if c.SourceURL != "" {
			capture.Rows = append(capture.Rows, mono("来源网址", "Source URL", c.SourceURL))
		}
		if len(capture.Rows) > 0 {
			sections = append(sections, capture)
		}
	}
	return &certpdf.Document{
		TitleZH:     "电子数据存证证书",
		TitleEN:     "Certificate of Electronic Evidence Deposit",
		Number:      d.Number,
		Sections:    sections,
		QR:          d.VerifyURL,
		QRCaptionZH: "扫码查验证书",
		QRCaptionEN: "Scan to check",
		Seal:        certpdf.SealMark{Name: d.Institution.Name, Kind: kindZH},
		NotesZH: []string{
			"本证书由出证机构以数字签名（含 RFC 3161 时间戳）盖章，附件含存证回执、元数据与机构证书吊销列表。",
			"离线核验：jurichain verify --policy 信任策略 原文件 本证书.pdf",
			"在线查验：" + d.VerifyURL,
		},
		NotesEN: []string{
			"Sealed by the attesting institution with a digital signature and an RFC 3161 time-stamp; the receipt, metadata and the institution's revocation list are attached.",
			"Verify offline: jurichain verify --policy POLICY FILE THIS-CERTIFICATE.pdf",
			"Check online: " + d.VerifyURL,
		},
		Created: d.Issued,
	}, nil
}

// errNoPolicyKey is returned when the policy names no key for the
// institution that sealed a certificate.
var errNoPolicyKey = errors.New("the policy names no key for this institution")
